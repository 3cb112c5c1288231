// The soak's clients: each a loop that signs in as one user and mixes every kind of call. The
// retry policy (documented in bench/README.md, what a careful real client does):
//  - a call that meets no answer (connection refused or reset, none in 30 s, the extension's
//    time-out) or a 502, 503 or 504 is tried again on the next replica, after a back-off of
//    100 ms doubling to 1 s, or
//    after the answer's Retry-After when that is longer, for up to RETRY_MS (30 s: a Docker
//    engine restart takes several); every other answer is final, a 500 included;
//  - only calls that are safe to repeat are written that way: a create that was retried and then
//    answers CONFLICT was done by the attempt that lost its answer (the client finds it by its
//    unique name), a delete that was retried and answers NOT_FOUND was done; the same answers to
//    a first attempt are errors;
//  - a 401 is an error: no session expires during the soak (CREDENTIAL_SESSION_TIMEOUT is 2 h)
//    and nothing revokes user sessions, so a 401 means the service lost one. The client then
//    signs in again before its next call, as a client without a session (its sign-in failed)
//    does; it never calls without one;
//  - the workspace token is read from the container after an injection, and again when
//    gitCredential answers 401 (the workspace's git helper reads that file on every call, so a
//    newer injection's token is what it would send): a different token there is used, no file
//    means no call, and only a 401 with the token the container holds is an error. After a clear
//    (even one that failed: a clear revokes the token first) the client makes no gitCredential
//    call until its next injection;
//  - a client honours Retry-After, adding up to 20 % at random so that clients refused together
//    do not come back together.
// An error is a call that still failed after that.
import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import { sleep } from './parts';

export const RETRY_MS = 30_000;
/** As the extension's client (extension/client.ts): a request without an answer in 30 s is lost. */
const REQUEST_TIMEOUT_MS = 30_000;

export interface CallResult {
  status: number;
  body: unknown;
}

/** One user's credentials as the clients were told they are (for the lost-write check). */
export interface Acknowledged {
  /** credential id -> the secret and name the service acknowledged */
  tokens: Map<string, AcknowledgedToken>;
}

export interface AcknowledgedToken {
  name: string;
  secret: string;
  provider: string;
  /** The username of the last acknowledged update ('' before any). */
  username: string;
  /** Updates running now; when two overlap, either may be the one that committed last. */
  updating: number;
  /** Every username acknowledged by an update that overlapped another one. */
  contended: Set<string>;
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

class Transient extends Error {
  constructor(
    message: string,
    /** The answer's Retry-After, in ms, if it had one. */
    readonly retryAfterMs = 0,
  ) {
    super(message);
  }
}

export interface CallOptions {
  /** A bearer token other than the client's session (the workspace token). */
  token?: string;
  /** Whether an answer is a success, judged when it arrives (default: 200 only). */
  ok?: (status: number, retried: boolean) => boolean;
  /**
   * For `token`: on a 401, where a newer token may be found (tried once, not an error): a token,
   * null when there is none any more (the call is then not counted: it would not have been
   * made), undefined when it could not be looked at.
   */
  refreshToken?: () => Promise<string | null | undefined>;
}

export class Client {
  private replica: number;
  private readonly address: string;
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
    this.address = `10.64.${Math.floor(index / 250)}.${(index % 250) + 1}`;
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
          // This client's own address, as the proxy in front of the replicas would pass it on.
          'x-forwarded-for': this.address,
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const why = cause ? ` (${cause.code ?? cause.message ?? ''})` : '';
      throw new Transient(`no answer from ${base}: ${(err as Error).message}${why}`);
    }
    const text = await res.text().catch(() => '');
    if (res.status === 502 || res.status === 503 || res.status === 504) {
      const seconds = Number(res.headers.get('retry-after'));
      throw new Transient(
        `${res.status} from ${base}: ${text.slice(0, 200)}`,
        Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 0,
      );
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
    return { status: res.status, body: parsed, base };
  }

  /** One call under the retry policy; records its latency (or its failure) under `kind`. */
  async call(
    kind: string,
    method: string,
    path: string,
    body?: unknown,
    options: CallOptions = {},
  ): Promise<CallResult | undefined> {
    const userCall = options.token === undefined && kind !== 'auth.login';
    // Never a call without a session: sign in first (a failed sign-in is its own error).
    if (userCall && !this.token && !(await this.login())) return undefined;
    const start = Date.now();
    let delay = 100;
    let attempt = 0;
    let last = '';
    let token = options.token ?? this.token;
    let refreshed = false;
    for (;;) {
      attempt++;
      try {
        const res = await this.once(method, path, body, token);
        if (res.status === 401 && options.refreshToken && !refreshed) {
          refreshed = true;
          const newer = await options.refreshToken();
          if (newer === null) return undefined;
          if (newer && newer !== token) {
            token = newer;
            continue;
          }
        }
        const ok = (options.ok ?? ((status) => status === 200))(res.status, attempt > 1);
        if (res.status === 401 && userCall) this.token = ''; // signs in again next time
        this.stats.record(
          kind,
          Date.now() - start,
          ok,
          ok
            ? ''
            : `${res.status} from ${res.base} (attempt ${attempt}): ${JSON.stringify(res.body).slice(0, 300)}`,
        );
        return ok ? { status: res.status, body: res.body } : undefined;
      } catch (err) {
        if (!(err instanceof Transient)) throw err;
        last = err.message;
        this.replica++;
        const wait = Math.max(delay, err.retryAfterMs * (1 + Math.random() * 0.2));
        if (Date.now() - start + wait > RETRY_MS) break;
        await sleep(wait);
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
      ok: (status, retried) => status === 200 || (retried && status === 409),
    });
    if (!res) return;
    let id = this.result<{ id: string }>(res)?.id;
    if (res.status === 409) {
      // A retried create whose first attempt was done: find it by its unique name.
      id = (await this.list())?.find((t) => t.name === name)?.id;
    }
    if (id) {
      this.acknowledged.tokens.set(id, {
        name,
        secret,
        provider: 'github',
        username: '',
        updating: 0,
        contended: new Set(),
      });
    }
  }

  private pickOwn(): string | undefined {
    const ids = [...this.acknowledged.tokens.keys()];
    return ids[Math.floor(Math.random() * ids.length)];
  }

  async updateToken(): Promise<void> {
    const id = this.pickOwn();
    if (!id) return;
    const username = `u${randomBytes(3).toString('hex')}`;
    const known = this.acknowledged.tokens.get(id);
    if (!known) return;
    let overlapped = known.updating > 0;
    known.updating++;
    const res = await this.call(
      'tokens.update',
      'POST',
      '/trpc/tokens.update',
      { id, username },
      { ok: (status) => status === 200 || this.goneMeanwhile(id, status) },
    ).finally(() => {
      overlapped ||= known.updating > 1;
      known.updating--;
    });
    if (res?.status === 200) {
      if (overlapped) known.contended.add(username).add(known.username);
      known.username = username;
    }
  }

  async deleteToken(): Promise<void> {
    const id = this.pickOwn();
    if (!id) return;
    // Taken out of the acknowledged set first: another client of the user must not pick it.
    const known = this.acknowledged.tokens.get(id);
    this.acknowledged.tokens.delete(id);
    const res = await this.call(
      'tokens.delete',
      'POST',
      '/trpc/tokens.delete',
      { id },
      { ok: (status, retried) => status === 200 || (retried && status === 404) },
    );
    // Not acknowledged as deleted: it may still be there (the lost-write check expects it).
    if (!res && known) this.acknowledged.tokens.set(id, known);
  }

  async testToken(): Promise<void> {
    const id = this.pickOwn();
    if (!id) return;
    await this.call(
      'tokens.test',
      'POST',
      '/trpc/tokens.test',
      { id },
      { ok: (status) => status === 200 || this.goneMeanwhile(id, status) },
    );
  }

  /** A NOT_FOUND for a credential another client of the user deleted during the call. */
  private goneMeanwhile(id: string, status: number): boolean {
    return status === 404 && !this.acknowledged.tokens.has(id);
  }

  sshKeys = () => this.call('sshKeys.list', 'GET', '/trpc/sshKeys.list');
  audit = () => this.call('audit.list', 'GET', '/trpc/audit.list?input=%7B%22limit%22%3A50%7D');

  async inject(workspaceId: string, docker: () => Docker): Promise<void> {
    const res = await this.call('workspaces.inject', 'POST', '/trpc/workspaces.inject', {
      workspaceId,
    });
    if (!res) return;
    // The workspace token the injection wrote, read as the workspace would.
    await this.readWorkspaceToken(workspaceId, docker);
  }

  /**
   * Reads the workspace token from the container (through the engine, which may be restarting:
   * tried for up to RETRY_MS): the token, null when the container holds none (cleared), or
   * undefined when it could not be read.
   */
  private async readWorkspaceToken(
    workspaceId: string,
    docker: () => Docker,
  ): Promise<string | null | undefined> {
    const start = Date.now();
    for (let delay = 100; ; delay = Math.min(delay * 2, 1000)) {
      try {
        const token = await readContainerFile(
          docker(),
          workspaceId,
          '/home/coder/.config/xares/workspace-token',
        );
        this.workspaceToken = token?.trim() ?? '';
        return token === null ? null : this.workspaceToken;
      } catch {
        if (Date.now() - start + delay > RETRY_MS) return undefined;
        await sleep(delay);
      }
    }
  }

  async clear(workspaceId: string): Promise<void> {
    await this.call('workspaces.clear', 'POST', '/trpc/workspaces.clear', { workspaceId });
    // A clear revokes the workspace token before anything else, so even one that failed may
    // have: the workspace's git gets nothing until the next injection, as intended.
    this.workspaceToken = '';
  }

  async gitCredential(workspaceId: string, docker: () => Docker): Promise<void> {
    if (!this.workspaceToken) return;
    const input = encodeURIComponent(JSON.stringify({ protocol: 'https', host: 'github.com' }));
    await this.call(
      'gitCredential.get',
      'GET',
      `/trpc/gitCredential.get?input=${input}`,
      undefined,
      {
        token: this.workspaceToken,
        // The container may hold a newer token than the one read after the last injection.
        refreshToken: () => this.readWorkspaceToken(workspaceId, docker),
      },
    );
  }
}

/** A file of a container, or null when it does not exist; throws when the engine fails. */
async function readContainerFile(docker: Docker, id: string, file: string): Promise<string | null> {
  let stream: NodeJS.ReadableStream;
  try {
    stream = await docker.getContainer(id).getArchive({ path: file });
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return null;
    throw err;
  }
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  const tar = Buffer.concat(chunks);
  const size = parseInt(tar.subarray(124, 136).toString('ascii').trim(), 8);
  return tar.subarray(512, 512 + size).toString('utf8');
}
