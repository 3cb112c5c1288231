// What every command module of the CLI exports, the error type for a user's mistake, and the
// argument parsing they share.
import { parseArgs, type ParseArgsConfig } from 'node:util';

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

/** node:util parseArgs, with a malformed command line turned into a usage error showing `help`. */
export function parseCommandArgs<T extends ParseArgsConfig>(
  config: T,
  help: string,
): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (err) {
    throw new CliError(`${(err as Error).message}\n\n${help}`, 2);
  }
}
