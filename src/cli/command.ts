// What every subcommand looks like to the dispatcher in main.ts. One file per subcommand.

export interface CliIO {
  readonly env: NodeJS.ProcessEnv;
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

export interface Command {
  readonly name: string;
  /** One line for `mrsocko --help`. */
  readonly summary: string;
  /** Full text for `mrsocko CMD --help`. */
  readonly help: string;
  /** Resolves to the exit status. Throws MrsockoError for user-facing failures. */
  run(args: readonly string[], io: CliIO): Promise<number>;
}
