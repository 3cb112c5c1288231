// `xares-credentials audit export|purge`: the audit trail for operators, written to stdout.
import { once } from 'node:events';
import { findUserByName } from '../accounts/users';
import { auditExportChunks, purgeAudit, recordAudit } from '../audit/audit';
import { loadConfig } from '../config';
import { openConfiguredStore } from '../bootstrap';
import { CliError, parseCommandArgs, type Command, cliGuard } from './command';

const HELP = `Usage:
  xares-credentials audit export [--user NAME] [--format json|csv] [--since DATE]
  xares-credentials audit purge

export   writes audit entries (all users, or one with --user) to stdout, oldest first, as a JSON
         array (default) or CSV. --since takes a date or time, e.g. 2026-11-01 or
         2026-11-01T12:00:00Z, and keeps entries at or after it.
purge    deletes entries older than CREDENTIAL_AUDIT_RETENTION_DAYS (the service does this daily).`;

function parse(args: string[]) {
  return parseCommandArgs(
    {
      args,
      options: {
        user: { type: 'string' },
        format: { type: 'string', default: 'json' },
        since: { type: 'string' },
      },
      allowPositionals: false,
      strict: true,
    },
    HELP,
  );
}

/** Epoch ms of a date (UTC midnight) or an ISO date-time; CliError for anything else. */
export function parseSince(text: string): number {
  const iso = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
  const ms = iso.test(text) ? Date.parse(text.length === 10 ? `${text}T00:00:00Z` : text) : NaN;
  if (Number.isNaN(ms)) {
    throw new CliError(
      `--since must be a date like 2026-11-01 or 2026-11-01T12:00:00Z, not '${text}'`,
      2,
    );
  }
  return ms;
}

async function write(chunk: string): Promise<void> {
  // Respect backpressure so a large export to a slow pipe does not pile up in memory.
  if (!process.stdout.write(chunk)) await once(process.stdout, 'drain');
}

async function exportCommand(args: string[]): Promise<number> {
  const { values } = parse(args);
  const format = values.format;
  if (format !== 'json' && format !== 'csv') throw new CliError('--format must be json or csv', 2);
  const since = values.since === undefined ? undefined : parseSince(values.since);
  const config = loadConfig();
  return cliGuard(async () => {
    const { store } = await openConfiguredStore(config);
    try {
      let userId: string | undefined;
      if (values.user !== undefined) {
        const user = await findUserByName(store.db, values.user);
        if (!user) throw new CliError(`there is no user named '${values.user}'`);
        userId = user.id;
      }
      // The export itself is audited, before anything is written out.
      await recordAudit(store.db, {
        userId: userId ?? null,
        username: values.user ?? null,
        action: 'export',
        outcome: 'success',
        detail: `audit export from the command line (${format})`,
      });
      for await (const chunk of auditExportChunks(store.db, { userId, format, since })) {
        await write(chunk);
      }
      return 0;
    } finally {
      await store.close();
    }
  });
}

async function purgeCommand(args: string[]): Promise<number> {
  parseCommandArgs({ args, options: {}, allowPositionals: false, strict: true }, HELP);
  const config = loadConfig();
  return cliGuard(async () => {
    const { store } = await openConfiguredStore(config);
    try {
      const deleted = await purgeAudit(store.db, config.auditRetentionDays, 1000);
      process.stdout.write(
        `deleted ${deleted} audit entries older than ${config.auditRetentionDays} days\n`,
      );
      return 0;
    } finally {
      await store.close();
    }
  });
}

export const command: Command = {
  help: HELP,
  async run(args) {
    const [sub, ...rest] = args;
    if (sub === 'export') return exportCommand(rest);
    if (sub === 'purge') return purgeCommand(rest);
    throw new CliError(
      `${sub ? `unknown audit command '${sub}'` : 'audit needs a command'}\n\n${HELP}`,
      2,
    );
  },
};
