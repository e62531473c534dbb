// What every subcommand looks like to the dispatcher in main.ts. One file per subcommand;
// its one-line summary is in main.ts, which lists the commands without loading them.
export {};
//# sourceMappingURL=command.js.map