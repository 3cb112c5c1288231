// `xares-credentials doctor`: checks configuration, master key, database, Docker, provider
// reachability and TLS files, prints one line per check with what to fix, exits 1 on a failure.
import { exitCodeFor, formatReport, runDoctor } from '../doctor';
import { CliError, type Command } from './command';

const HELP = `Usage: xares-credentials doctor [--json] [--skip-providers]

Checks, reading the same environment as the service, and changing nothing:
  configuration   every CREDENTIAL_* and provider variable parses
  database        CREDENTIAL_DATABASE_URL answers and its migrations are current
  key             the master key is set, 64 hex characters, its file private, and it is the
                  key the database was created with
  docker          DOCKER_HOST answers, its version, and the API sections injection needs
                  (containers, archive, exec, events) are allowed
  provider NAME   each provider API root answers (5 s timeout)
  tls             CREDENTIAL_TLS_CERT/KEY readable, matching and in date
  public url      CREDENTIAL_PUBLIC_URL, the address workspaces are given, is one they can reach

Prints one line per check: ok, warn or FAIL, what was found and what to fix.
Exit status: 0 when nothing failed (warnings allowed), 1 when a check failed.

Options:
  --json            print the results as a JSON array instead
  --skip-providers  do not contact the provider APIs`;

export const command: Command = {
  help: HELP,
  async run(args) {
    const unknown = args.filter((a) => a !== '--json' && a !== '--skip-providers');
    if (unknown.length)
      throw new CliError(`doctor: unknown argument '${unknown[0]}' (see --help)`, 2);
    const results = await runDoctor(process.env, {
      skipProviders: args.includes('--skip-providers'),
    });
    process.stdout.write(
      args.includes('--json') ? JSON.stringify(results, null, 2) + '\n' : formatReport(results),
    );
    return exitCodeFor(results);
  },
};
