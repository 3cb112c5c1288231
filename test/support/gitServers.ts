// Loopback git servers for docker-tier tests: Debian's sshd on a random port accepting only one
// public key (git-shell as the forced command), and `git http-backend` behind HTTP basic auth
// in a small Node server. Both serve bare repositories from a temp directory.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const GIT_ENV = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.invalid',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.invalid',
};

/** A bare repository `<dir>/<name>.git` with one commit holding README.md = `content`. */
export function makeBareRepo(dir: string, name: string, content: string): string {
  const work = mkdtempSync(path.join(os.tmpdir(), 'xares-repo-'));
  try {
    execFileSync('git', ['init', '-q', '-b', 'main', work], { env: GIT_ENV });
    writeFileSync(path.join(work, 'README.md'), content);
    execFileSync('git', ['-C', work, 'add', 'README.md'], { env: GIT_ENV });
    execFileSync('git', ['-C', work, 'commit', '-q', '-m', 'first'], { env: GIT_ENV });
    const bare = path.join(dir, `${name}.git`);
    execFileSync('git', ['clone', '-q', '--bare', work, bare], { env: GIT_ENV });
    return bare;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, timeoutMs: number, child: ChildProcess): Promise<void> {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    if (child.exitCode !== null) throw new Error(`sshd exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const sock = net.connect(port, '127.0.0.1');
      sock.once('connect', () => (sock.destroy(), resolve(true)));
      sock.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
}

export interface SshGitServer {
  port: number;
  /** The login name to use in ssh URLs (the user the test runs as). */
  user: string;
  dir: string;
  /** sshd's own log (stderr), for failures. */
  log(): string;
  stop(): Promise<void>;
}

/**
 * Starts /usr/sbin/sshd on 127.0.0.1 with its own host key; its AuthorizedKeysFile holds only
 * `publicKey`, and every login runs git-shell, so the key can do git and nothing else.
 */
export async function startSshGitServer(publicKey: string, repoDir: string): Promise<SshGitServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'xares-sshd-'));
  const user = os.userInfo().username;
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'host_key')]);
  writeFileSync(path.join(dir, 'authorized_keys'), `${publicKey.trim()}\n`, { mode: 0o600 });
  const port = await freePort();
  writeFileSync(
    path.join(dir, 'sshd_config'),
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${path.join(dir, 'host_key')}`,
      `PidFile ${path.join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
      'StrictModes no',
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin prohibit-password',
      'UsePAM no',
      `AllowUsers ${user}`,
      'ForceCommand /usr/bin/git-shell -c "$SSH_ORIGINAL_COMMAND"',
      'LogLevel VERBOSE',
      '',
    ].join('\n'),
  );
  // sshd insists on its privilege separation directory when started as root.
  if (process.getuid?.() === 0) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', path.join(dir, 'sshd_config')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr?.on('data', (c: Buffer) => {
    if (log.length < 100_000) log += c.toString();
  });
  try {
    await waitForPort(port, 10_000, child);
  } catch (e) {
    child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${(e as Error).message}\n${log}`);
  }
  return {
    port,
    user,
    dir: repoDir,
    log: () => log,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface HttpGitServer {
  url: string;
  /** Requests answered 401 (no or wrong credentials) and requests let through. */
  stats: { unauthorized: number; authorized: number; users: string[] };
  stop(): Promise<void>;
}

/** One account of a git server that holds several: it may read repositories under `prefix/`. */
export interface GitServerAccount {
  prefix: string;
  username: string;
  password: string;
}

/**
 * Serves bare repositories under `repoRoot` with `git http-backend` (smart HTTP), for requests
 * with basic auth `username:password` only; anything else gets 401 and a Basic challenge. With
 * `accounts`, each account may read only the repositories under its own prefix (as a forge with
 * a work and a personal account would), and `username:password` serves the rest.
 */
export async function startHttpGitServer(
  repoRoot: string,
  username: string,
  password: string,
  accounts: GitServerAccount[] = [],
): Promise<HttpGitServer> {
  const stats = { unauthorized: 0, authorized: 0, users: [] as string[] };
  const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
  const expectedFor = (urlPath: string) => {
    const account = accounts.find((a) => urlPath.startsWith(`/${a.prefix}/`));
    return account ? basic(account.username, account.password) : basic(username, password);
  };
  const server = http.createServer((req, res) => {
    const expected = expectedFor(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    if (req.headers.authorization !== expected) {
      stats.unauthorized += 1;
      req.resume();
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="xares test git"' });
      res.end('authentication required\n');
      return;
    }
    stats.authorized += 1;
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const cgi = spawn('git', ['http-backend'], {
      env: {
        ...GIT_ENV,
        GIT_PROJECT_ROOT: repoRoot,
        GIT_HTTP_EXPORT_ALL: '1',
        GATEWAY_INTERFACE: 'CGI/1.1',
        REQUEST_METHOD: req.method ?? 'GET',
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.replace(/^\?/, ''),
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        CONTENT_LENGTH: req.headers['content-length'] ?? '',
        HTTP_CONTENT_ENCODING: req.headers['content-encoding'] ?? '',
        HTTP_GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
        REMOTE_USER: username,
        REMOTE_ADDR: '127.0.0.1',
      },
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    req.pipe(cgi.stdin);
    let head = Buffer.alloc(0);
    let headersDone = false;
    cgi.stdout.on('data', (chunk: Buffer) => {
      if (headersDone) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      headersDone = true;
      let status = 200;
      for (const line of head.subarray(0, end).toString().split('\r\n')) {
        const i = line.indexOf(':');
        const name = line.slice(0, i).trim();
        const value = line.slice(i + 1).trim();
        if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
        else res.setHeader(name, value);
      }
      res.writeHead(status);
      res.write(head.subarray(end + 4));
    });
    cgi.on('close', () => res.end());
    cgi.on('error', () => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
