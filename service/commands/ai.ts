// `xares-credentials ai usage`: AI gateway requests and reported tokens per user, provider and
// model, for operators (all users, or one with --user), since a date (default: this month, UTC).
import { findUserByName } from '../accounts/users';
import { loadConfig } from '../config';
import { startOfUtcMonth } from '../domain/ai';
import { summarizeAiUsage, type AiUsageLine } from '../store/aiUsage';
import { openConfiguredStore } from '../bootstrap';
import { parseSince } from './audit';
import { CliError, parseCommandArgs, type Command, cliGuard } from './command';

const HELP = `Usage:
  xares-credentials ai usage [--user NAME] [--since DATE] [--format text|json]

usage   AI requests made through the gateway, per user, provider and model: requests, failed
        requests (HTTP 400 and above, or cut off), and the input and output tokens the provider
        reported. --since takes a date or time (2026-11-01, 2026-11-01T12:00:00Z); the default
        is the start of this month (UTC).`;

const COLUMNS = ['user', 'provider', 'model', 'requests', 'failed', 'input', 'output'] as const;

/** A plain aligned table: one header line, one line per user, provider and model. */
export function usageTable(lines: AiUsageLine[]): string {
  const cells = lines.map((l) => [
    l.username,
    l.provider,
    l.model ?? '-',
    String(l.requests),
    String(l.failed),
    String(l.inputTokens),
    String(l.outputTokens),
  ]);
  const rows = [[...COLUMNS], ...cells];
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) => r.map((c, i) => (i >= 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))))
    .map((r) => r.join('  ').trimEnd())
    .join('\n');
}

async function usageCommand(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(
    {
      args,
      options: {
        user: { type: 'string' },
        since: { type: 'string' },
        format: { type: 'string', default: 'text' },
      },
      allowPositionals: false,
      strict: true,
    },
    HELP,
  );
  if (values.format !== 'text' && values.format !== 'json') {
    throw new CliError('--format must be text or json', 2);
  }
  const since = values.since === undefined ? startOfUtcMonth(Date.now()) : parseSince(values.since);
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
      const lines = await summarizeAiUsage(store.db, { since, userId });
      const sinceIso = new Date(since).toISOString();
      if (values.format === 'json') {
        process.stdout.write(`${JSON.stringify({ since: sinceIso, usage: lines }, null, 2)}\n`);
      } else if (lines.length === 0) {
        process.stdout.write(`no AI requests since ${sinceIso}\n`);
      } else {
        process.stdout.write(`AI requests since ${sinceIso}\n${usageTable(lines)}\n`);
      }
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
    if (sub === 'usage') return usageCommand(rest);
    throw new CliError(
      `${sub ? `unknown ai command '${sub}'` : 'ai needs a command'}\n\n${HELP}`,
      2,
    );
  },
};
