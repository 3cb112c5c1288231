// The `xares-credentials` command: dispatches to one module per command in service/commands/.
// User errors (CliError, ConfigError) print one line to stderr and exit non-zero, no stack trace.
// A library module: bin/xares-credentials.js (the installed command) calls run().
import { ConfigError } from './config';
import { CliError, type Command } from './commands/command';

const COMMANDS: Record<string, () => Promise<{ command: Command }>> = {
  serve: () => import('./commands/serve'),
  migrate: () => import('./commands/migrate'),
  user: () => import('./commands/user'),
  'rotate-key': () => import('./commands/rotateKey'),
  audit: () => import('./commands/audit'),
  ai: () => import('./commands/ai'),
  backup: () => import('./commands/backup'),
  restore: () => import('./commands/restore'),
  doctor: () => import('./commands/doctor'),
};

const USAGE = `Usage: xares-credentials <command> [options]

Commands:
  serve                     run the HTTP service
  migrate                   apply database migrations
  user add NAME [--admin] [--password-stdin]
  user list
  user disable NAME
  rotate-key                re-wrap every data key under a new master key
  audit export [--user NAME] [--format json|csv] [--since DATE]
  ai usage [--user NAME] [--since DATE]   AI gateway requests and tokens per user and model
  backup FILE               consistent logical export (secrets stay encrypted)
  restore FILE              import a backup into an empty database
  doctor                    check configuration, key, database and Docker

Run 'xares-credentials <command> --help' for a command's options.
Configuration comes from the environment (CREDENTIAL_* variables, see README).`;

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(USAGE + '\n');
    return name ? 0 : 2;
  }
  const load = COMMANDS[name];
  if (!load) {
    process.stderr.write(`xares-credentials: unknown command '${name}'\n\n${USAGE}\n`);
    return 2;
  }
  const { command } = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(command.help + '\n');
    return 0;
  }
  return command.run(rest);
}

/**
 * Runs the CLI for `argv` and sets the process's exit code; never rejects. The `xares-credentials`
 * bin calls this; whether the CLI runs must not depend on the script's file name, since npm's
 * bin link (`xares-credentials`, `.cmd` shims) has another one.
 */
export function run(argv: string[]): Promise<void> {
  return main(argv).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      if (err instanceof CliError || err instanceof ConfigError) {
        process.stderr.write(`xares-credentials: ${err.message}\n`);
        process.exitCode = err instanceof CliError ? err.exitCode : 1;
      } else {
        const message = err instanceof Error ? err.message : String(err);
        process.stderr.write(`xares-credentials: unexpected error: ${message}\n`);
        process.exitCode = 70;
      }
    },
  );
}

// Run from the sources (`node --import tsx service/cli.ts ...`) or as `node dist/service/cli.js`.
if (require.main === module) void run(process.argv.slice(2));
