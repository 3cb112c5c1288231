// The soak's clients: each a loop that signs in as one user and mixes every kind of call. The
// retry policy (documented in bench/README.md): a call that meets no answer (connection refused
// or reset, a time-out) or a 502/503/504 is tried again on the next replica, with a back-off of
// 100 ms doubling to 1 s, for up to RETRY_MS (30 s: a Docker engine restart takes several); any other answer is final. A create that is retried
// and then answers CONFLICT was done by the attempt that lost its answer: the client looks the
// credential up by its (unique) name. An error is a call that still failed after that; a 500 is
// never retried, it is always an error.
import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import { sleep } from './parts';

export const RETRY_MS = 30_000;
const REQUEST_TIMEOUT_MS = 20_000;

export interface CallResult {
  status: number;
  body: unknown;
}

/** One user's credentials as the clients were told they are (for the lost-write check). */
export interface Acknowledged {
  /** credential id -> the secret and name the service acknowledged */
  tokens: Map<string, { name: string; secret: string; provider: string; username: string }>;
}

export class Stats {
  readonly latencies = new Map<string, number[]>();
  readonly errors: Array<{ kind: string; started: number; what: string }> = [];
  /** Time of each call's success, per kind, to tell recovery after a fault. */
  readonly successes = new Map<string, number[]>();
  requests = 0;

  record(kind: string, ms: number, ok: boolean, what = ''): void {
    const started = Date.now() - ms;
    this.requests++;
    if (ok) {
      let l = this.latencies.get(kind);
      if (!l) this.latencies.set(kind, (l = []));
      l.push(ms);
      let s = this.successes.get(kind);
      if (!s) this.successes.set(kind, (s = []));
      s.push(Date.now());
    } else {
      this.errors.push({ kind, started, what });
    }
  }
}

class Transient extends Error {}

export class Client {
  private replica: number;
  private token = '';
  workspaceToken = '';

  constructor(
    readonly username: string,
    private readonly password: string,
    private readonly replicas: () => string[],
    private readonly stats: Stats,
    readonly acknowledged: Acknowledged,
    index: number,
  ) {
    this.replica = index;
  }

  private async once(method: string, path: string, body: unknown, token: string) {
    const urls = this.replicas();
    const base = urls[this.replica % urls.length];
    let res: Response;
    try {
      res = await fetch(base + path, {
        method,
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (err) {
      throw new Transient(`no answer from ${base}: ${(err as Error).message}`);
    }
    const text = await res.text().catch(() => '');
    if (res.status === 502 || res.status === 503 || res.status === 504) {
      throw new Transient(`${res.status} from ${base}: ${text.slice(0, 200)}`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
    return { status: res.status, body: parsed };
  }

  /** One call under the retry policy; records its latency (or its failure) under `kind`. */
  async call(
    kind: string,
    method: string,
    path: string,
    body?: unknown,
    options: { token?: string; expect?: number[] } = {},
  ): Promise<CallResult | undefined> {
    const start = Date.now();
    let delay = 100;
    let attempt = 0;
    let last = '';
    for (;;) {
      attempt++;
      try {
        const res = await this.once(method, path, body, options.token ?? this.token);
        const ok = (options.expect ?? [200]).includes(res.status);
        this.stats.record(
          kind,
          Date.now() - start,
          ok,
          ok ? '' : `${res.status} ${JSON.stringify(res.body).slice(0, 300)}`,
        );
        return ok ? { ...res, status: res.status } : undefined;
      } catch (err) {
        if (!(err instanceof Transient)) throw err;
        last = err.message;
        this.replica++;
        if (Date.now() - start + delay > RETRY_MS) break;
        await sleep(delay);
        delay = Math.min(delay * 2, 1000);
      }
    }
    this.stats.record(kind, Date.now() - start, false, `after ${attempt} attempts: ${last}`);
    return undefined;
  }

  private result<T>(res: CallResult | undefined): T | undefined {
    return (res?.body as { result?: { data?: T } } | undefined)?.result?.data;
  }

  async login(): Promise<boolean> {
    const res = await this.call('auth.login', 'POST', '/trpc/auth.login', {
      username: this.username,
      password: this.password,
    });
    const data = this.result<{ token: string }>(res);
    if (data) this.token = data.token;
    return !!data;
  }

  async list(): Promise<Array<{ id: string; name: string; username: string | null }> | undefined> {
    return this.result(await this.call('tokens.list', 'GET', '/trpc/tokens.list?input=%7B%7D'));
  }

  async createToken(): Promise<void> {
    const name = `t-${randomBytes(6).toString('hex')}`;
    const secret = `ghp_${randomBytes(18).toString('hex')}`;
    const input = { type: 'git_token', provider: 'github', name, token: secret };
    const res = await this.call('tokens.create', 'POST', '/trpc/tokens.create', input, {
      expect: [200, 409],
    });
    if (!res) return;
    let id = this.result<{ id: string }>(res)?.id;
    if (res.status === 409) {
      // A retried create whose first attempt was done: find it by its unique name.
      id = (await this.list())?.find((t) => t.name === name)?.id;
    }
    if (id) this.acknowledged.tokens.set(id, { name, secret, provider: 'github', username: '' });
  }

  private pickOwn(): string | undefined {
    const ids = [...this.acknowledged.tokens.keys()];
    return ids[Math.floor(Math.random() * ids.length)];
  }

  async updateToken(): Promise<void> {
    const id = this.pickOwn();
    if (!id) return;
    const username = `u${randomBytes(3).toString('hex')}`;
    const res = await this.call('tokens.update', 'POST', '/trpc/tokens.update', { id, username });
    const known = this.acknowledged.tokens.get(id);
    if (res && known) known.username = username;
  }

  async deleteToken(): Promise<void> {
    const id = this.pickOwn();
    if (!id) return;
    // A retried delete may find it gone: NOT_FOUND then means done.
    const res = await this.call(
      'tokens.delete',
      'POST',
      '/trpc/tokens.delete',
      { id },
      {
        expect: [200, 404],
      },
    );
    if (res) this.acknowledged.tokens.delete(id);
  }

  async testToken(): Promise<void> {
    const id = this.pickOwn();
    if (!id) return;
    await this.call('tokens.test', 'POST', '/trpc/tokens.test', { id });
  }

  sshKeys = () => this.call('sshKeys.list', 'GET', '/trpc/sshKeys.list');
  audit = () => this.call('audit.list', 'GET', '/trpc/audit.list?input=%7B%22limit%22%3A50%7D');

  async inject(workspaceId: string, docker: () => Docker): Promise<void> {
    const res = await this.call('workspaces.inject', 'POST', '/trpc/workspaces.inject', {
      workspaceId,
    });
    if (!res) return;
    // The workspace token the injection wrote, read as the workspace would.
    const token = await readContainerFile(
      docker(),
      workspaceId,
      '/home/coder/.config/xares/workspace-token',
    ).catch(() => null);
    if (token) this.workspaceToken = token.trim();
  }

  async clear(workspaceId: string): Promise<void> {
    const res = await this.call('workspaces.clear', 'POST', '/trpc/workspaces.clear', {
      workspaceId,
    });
    if (res) this.workspaceToken = '';
  }

  async gitCredential(): Promise<void> {
    if (!this.workspaceToken) return;
    const input = encodeURIComponent(JSON.stringify({ protocol: 'https', host: 'github.com' }));
    await this.call(
      'gitCredential.get',
      'GET',
      `/trpc/gitCredential.get?input=${input}`,
      undefined,
      {
        token: this.workspaceToken,
        expect: [200, 404],
      },
    );
  }
}

async function readContainerFile(docker: Docker, id: string, file: string): Promise<string> {
  const stream = await docker.getContainer(id).getArchive({ path: file });
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  const tar = Buffer.concat(chunks);
  const size = parseInt(tar.subarray(124, 136).toString('ascii').trim(), 8);
  return tar.subarray(512, 512 + size).toString('utf8');
}
