// What every command module of the CLI exports, the error type for a user's mistake, how the
// store's errors become one, and the argument parsing they share.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError } from '../config';
import { AppError } from '../errors';
import { StoreOpenError } from '../store/database';
import { DatabaseUrlError } from '../store/dialect';
import { MigrationError } from '../store/migrations';

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

/** Maps what the store throws to a CliError (one line, no stack); other errors pass through. */
export function toCliError(err: unknown): unknown {
  if (err instanceof CliError || err instanceof ConfigError) return err;
  if (
    err instanceof StoreOpenError ||
    err instanceof MigrationError ||
    err instanceof DatabaseUrlError
  ) {
    return new CliError(err.message);
  }
  if (err instanceof AppError) return new CliError(err.message);
  return err;
}

/** Runs a command body with the store's errors mapped for the CLI. */
export async function cliGuard<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    throw toCliError(err);
  }
}
