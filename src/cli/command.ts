// What every subcommand looks like to the dispatcher in main.ts. One file per subcommand;
// its one-line summary is in main.ts, which lists the commands without loading them.

export interface CliIO {
  readonly env: NodeJS.ProcessEnv;
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

export interface Command {
  readonly name: string;
  /** Full text for `mrsocko CMD --help`. */
  readonly help: string;
  /** Resolves to the exit status. Throws MrsockoError for user-facing failures. */
  run(args: readonly string[], io: CliIO): Promise<number>;
}
