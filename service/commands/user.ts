// `xares-credentials user add|list|disable`: accounts from the command line. Passwords come
// from stdin (--password-stdin) or a no-echo prompt on a terminal, never from arguments.
import type { ParseArgsConfig } from 'node:util';
import { SESSION_CACHE_MS } from '../accounts/sessions';
import { createUser, disableUser, listUsers } from '../accounts/users';
import { recordAudit } from '../audit/audit';
import { loadConfig, type Config } from '../config';
import { createLogger } from '../logger';
import { openConfiguredStore } from '../bootstrap';
import { clearWorkspacesOfUser, type ClearAllOutcome } from '../workspaces';
import { CliError, parseCommandArgs, type Command, cliGuard } from './command';

const HELP = `Usage:
  xares-credentials user add NAME [--admin] [--password-stdin]
  xares-credentials user list
  xares-credentials user disable NAME

add       creates a user (role "user", or "admin" with --admin). The password is read from
          stdin with --password-stdin (one line), else asked twice on the terminal without echo.
list      prints every user with role, status and creation time.
disable   disables a user, signs them out everywhere (revokes all their sessions, workspace
          tokens included) and clears the workspaces they injected into (SSH key, .env and
          every other injected file removed), through the Docker engine of DOCKER_HOST. It
          returns a second later, once no running service still trusts a cached session. When
          a workspace cannot be cleared (engine unreachable, container stopped) the user is
          disabled all the same; it says so and exits 1: run it again to finish the clearing.`;

const MAX_PASSWORD_BYTES = 4096;
const STDIN_TIMEOUT_MS = 30_000;

/** Reads the password piped on stdin: the first line, without its line break. */
async function passwordFromStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  const done = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new CliError('no password arrived on stdin within 30 seconds')),
      STDIN_TIMEOUT_MS,
    );
    process.stdin.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_PASSWORD_BYTES) {
        clearTimeout(timer);
        reject(new CliError('the password on stdin is too long'));
        process.stdin.destroy();
        return;
      }
      chunks.push(chunk);
    });
    process.stdin.on('end', () => {
      clearTimeout(timer);
      resolve();
    });
    process.stdin.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
  await done;
  const text = Buffer.concat(chunks).toString('utf8');
  return text.replace(/\r?\n$/, '');
}

/** Asks for a line on the terminal without echoing it. */
function promptHidden(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(question);
    let value = '';
    const finish = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.removeListener('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return finish();
        if (ch === '\u0003' || ch === '\u0004') return finish(new CliError('cancelled'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else if (value.length < MAX_PASSWORD_BYTES) value += ch;
      }
    };
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}

async function readPassword(fromStdin: boolean): Promise<string> {
  if (fromStdin) return passwordFromStdin();
  if (!process.stdin.isTTY) {
    throw new CliError('no terminal to ask for the password: pipe it in with --password-stdin', 2);
  }
  const first = await promptHidden('Password: ');
  const second = await promptHidden('Repeat password: ');
  if (first !== second) throw new CliError('the passwords do not match');
  return first;
}

function parse(args: string[], options: ParseArgsConfig['options'] = {}) {
  return parseCommandArgs({ args, options, allowPositionals: true, strict: true }, HELP);
}

async function add(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    admin: { type: 'boolean', default: false },
    'password-stdin': { type: 'boolean', default: false },
  });
  if (positionals.length !== 1) throw new CliError(`user add takes one NAME\n\n${HELP}`, 2);
  const username = positionals[0] ?? '';
  const config = loadConfig();
  const password = await readPassword(values['password-stdin'] === true);
  return cliGuard(async () => {
    const { store } = await openConfiguredStore(config);
    try {
      const user = await createUser(store.db, {
        username,
        password,
        role: values.admin === true ? 'admin' : 'user',
      });
      await recordAudit(store.db, {
        userId: user.id,
        username: user.username,
        action: 'user_add',
        outcome: 'success',
        detail: `created from the command line as ${user.role}`,
      });
      process.stdout.write(`created ${user.role} '${user.username}'\n`);
      return 0;
    } finally {
      await store.close();
    }
  });
}

async function list(args: string[]): Promise<number> {
  const { positionals } = parse(args);
  if (positionals.length) throw new CliError(`user list takes no arguments\n\n${HELP}`, 2);
  const config = loadConfig();
  return cliGuard(async () => {
    const { store } = await openConfiguredStore(config);
    try {
      const users = await listUsers(store.db);
      const rows = [
        ['USERNAME', 'ROLE', 'STATUS', 'CREATED'],
        ...users.map((u) => [
          u.username,
          u.role,
          u.disabled ? 'disabled' : 'active',
          new Date(Number(u.created_at)).toISOString(),
        ]),
      ];
      const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
      for (const r of rows) {
        process.stdout.write(
          r.map((cell, i) => (i < 3 ? cell.padEnd(widths[i] ?? 0) : cell)).join('  ') + '\n',
        );
      }
      return 0;
    } finally {
      await store.close();
    }
  });
}

async function disable(args: string[]): Promise<number> {
  const { positionals } = parse(args);
  if (positionals.length !== 1) throw new CliError(`user disable takes one NAME\n\n${HELP}`, 2);
  const config = loadConfig();
  return cliGuard(async () => {
    const { store } = await openConfiguredStore(config);
    try {
      // Sessions first: whatever the engine does next, the user can no longer act.
      const { user, sessionsRevoked } = await disableUser(store.db, positionals[0] ?? '');
      const workspaces = await clearWorkspacesOfUser(
        { store, config, logger: createLogger({ level: 'silent' }) },
        user,
        'xares-credentials user disable',
      );
      const left = workspaces.notCleared.length;
      await recordAudit(store.db, {
        userId: user.id,
        username: user.username,
        action: 'user_disable',
        outcome: 'success',
        detail:
          `disabled from the command line; ${sessionsRevoked} session(s) revoked; ` +
          `${workspaces.cleared} workspace(s) cleared${left ? `, ${left} not` : ''}`,
      });
      // A running service may trust a session it looked up for SESSION_CACHE_MS: once this
      // command returns, none does.
      await new Promise((resolve) => setTimeout(resolve, SESSION_CACHE_MS));
      process.stdout.write(
        `disabled '${user.username}' and revoked ${sessionsRevoked} session(s); ` +
          `cleared ${workspaces.cleared} workspace(s)\n`,
      );
      if (left === 0) return 0;
      process.stderr.write(notClearedMessage(user.username, workspaces, config));
      return 1;
    } finally {
      await store.close();
    }
  });
}

/** What stays behind when workspaces could not be cleared, and how to finish. */
function notClearedMessage(username: string, outcome: ClearAllOutcome, config: Config): string {
  const engine = config.dockerHost ?? 'the local socket';
  const lines = outcome.notCleared.map(({ workspaceId, code, reason }) =>
    // With several engines the reason names the one the workspace is on.
    code === 'SERVICE_UNAVAILABLE' && config.dockerHosts.length === 1
      ? `  ${workspaceId.slice(0, 12)}: the Docker engine at ${engine} is not reachable`
      : `  ${workspaceId.slice(0, 12)}: ${reason}`,
  );
  return (
    `xares-credentials: ${outcome.notCleared.length} workspace(s) not cleared:\n${lines.join('\n')}\n` +
    `Their workspace tokens are revoked, but the SSH key, .env and the other injected files are ` +
    `still in them. Once the engine answers (or the container runs), run ` +
    `\`xares-credentials user disable ${username}\` again to remove them.\n`
  );
}

export const command: Command = {
  help: HELP,
  async run(args) {
    const [sub, ...rest] = args;
    if (sub === 'add') return add(rest);
    if (sub === 'list') return list(rest);
    if (sub === 'disable') return disable(rest);
    throw new CliError(
      `${sub ? `unknown user command '${sub}'` : 'user needs a command'}\n\n${HELP}`,
      2,
    );
  },
};
