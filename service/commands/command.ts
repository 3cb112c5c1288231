// What every command module of the CLI exports, and the error type for a user's mistake.
export interface Command {
  /** Shown by `xares-credentials <command> --help`. */
  help: string;
  /** Runs with the arguments after the command's name; resolves to the exit code. */
  run(args: string[]): Promise<number>;
}

/** A mistake the user can fix: printed as one line on stderr, no stack trace. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}
