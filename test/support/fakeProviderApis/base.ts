// Shared machinery of the fake provider APIs: one loopback HTTP server per provider, a request
// log for secret-placement assertions, and fault modes (slow, error status, connection reset).
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type ProviderName = 'github' | 'gitlab' | 'forgejo' | 'openai' | 'anthropic' | 'google';

/** What the fake saw of one request; headers are lower-cased as Node gives them. */
export interface RecordedRequest {
  provider: ProviderName;
  method: string;
  /** Path without the query string. */
  path: string;
  /** Path with the query string, as sent. */
  url: string;
  headers: Record<string, string>;
  body: string;
  at: number;
}

/**
 * A fault replaces normal answers until cleared: `slow` holds the answer for `delayMs` (default
 * 60 s, beyond any client timeout), `status` answers that HTTP status with the provider's error
 * shape, `reset` drops the connection without an answer.
 */
export type Fault =
  { kind: 'slow'; delayMs?: number } | { kind: 'status'; status: number } | { kind: 'reset' };

export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** Parsed JSON body; undefined when there is none or it is not JSON (see `badJson`). */
  json: unknown;
  badJson: boolean;
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Server-sent events: each piece written as it comes, `intervalMs` apart (a streamed answer). */
  events?: string[];
  intervalMs?: number;
}

const MAX_BODY = 16 * 1024 * 1024;

export function headerValue(req: FakeRequest, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * The token of an `Authorization` header in one of the given schemes; Basic yields its password,
 * as GitHub, GitLab and Forgejo accept a token as the password of HTTP basic auth.
 */
export function authorizationToken(
  req: FakeRequest,
  schemes: Array<'bearer' | 'token' | 'basic'>,
): string | undefined {
  const h = headerValue(req, 'authorization');
  if (!h) return undefined;
  const m = /^(\S+)\s+(.+)$/.exec(h.trim());
  if (!m) return undefined;
  const scheme = m[1]!.toLowerCase();
  const value = m[2]!.trim();
  if (scheme === 'bearer' && schemes.includes('bearer')) return value;
  if (scheme === 'token' && schemes.includes('token')) return value;
  if (scheme === 'basic' && schemes.includes('basic')) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon >= 0 ? decoded.slice(colon + 1) : undefined;
  }
  return undefined;
}

/** The type and base64 blob of an OpenSSH public key line, the part that identifies the key. */
export function keyIdentity(line: string): string | undefined {
  const parts = line.trim().split(/\s+/);
  if (parts.length < 2 || !/^(ssh-|ecdsa-|sk-)/.test(parts[0]!)) return undefined;
  if (!/^[A-Za-z0-9+/]+=*$/.test(parts[1]!)) return undefined;
  return `${parts[0]} ${parts[1]}`;
}

export abstract class FakeProvider {
  abstract readonly name: ProviderName;
  /** Requests this provider received, oldest first (the `/__fake/` control paths excluded). */
  readonly requests: RecordedRequest[] = [];
  fault: Fault | null = null;
  /** Streamed answers whose client went away before the end (the upstream was cancelled). */
  streamsAborted = 0;
  /** Streamed answers written to the end. */
  streamsCompleted = 0;
  private server: http.Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private originUrl = '';

  /** `http://127.0.0.1:PORT`, known once started. */
  get origin(): string {
    return this.originUrl;
  }

  setFault(fault: Fault | null): void {
    this.fault = fault;
  }

  clearRequests(): void {
    this.requests.length = 0;
  }

  /** Answers one request in the provider's way (faults and logging are handled before). */
  protected abstract route(req: FakeRequest): Reply;

  /** The provider's error body for a status, used by the `status` fault. */
  protected abstract errorReply(status: number): Reply;

  /** The provider's answer to a body that is not JSON. */
  protected abstract badJsonReply(): Reply;

  /** Handles the `/__fake/token` control call of a separate-process run. */
  protected abstract addTokenFromControl(body: Record<string, unknown>): void;

  /** Handles `/__fake/reply` (what generation calls answer); only the AI fakes have one. */
  protected setReplyFromControl(_body: Record<string, unknown>): void {}

  async start(): Promise<void> {
    const server = http.createServer((req, res) => this.onRequest(req, res));
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.originUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    // Held (slow) answers would keep close() waiting; their clients are told by the reset.
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        req.socket.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://fake.invalid');
      const fake = parseRequest(req, url, body);
      if (url.pathname.startsWith('/__fake/')) {
        this.control(fake, res);
        return;
      }
      this.requests.push({
        provider: this.name,
        method: fake.method,
        path: url.pathname,
        url: req.url ?? '/',
        headers: flattenHeaders(req.headers),
        body,
        at: Date.now(),
      });
      this.answer(fake, req, res);
    });
  }

  private answer(fake: FakeRequest, req: http.IncomingMessage, res: http.ServerResponse): void {
    const fault = this.fault;
    if (fault?.kind === 'reset') {
      // A TCP reset where Node offers it, else a plain close: the client sees no answer.
      const socket = req.socket as Socket & { resetAndDestroy?: () => void };
      if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
      else socket.destroy();
      return;
    }
    if (fault?.kind === 'status') {
      send(res, this.errorReply(fault.status));
      return;
    }
    const reply = fake.badJson ? this.badJsonReply() : this.route(fake);
    const deliver = () => (reply.events ? this.stream(res, reply, reply.events) : send(res, reply));
    if (fault?.kind === 'slow') {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        if (!res.destroyed) deliver();
      }, fault.delayMs ?? 60_000);
      timer.unref();
      this.timers.add(timer);
      return;
    }
    deliver();
  }

  /** Writes the events one by one, as a provider streams tokens; stops if the client leaves. */
  private stream(res: http.ServerResponse, reply: Reply, events: string[]): void {
    res.writeHead(reply.status, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache',
      ...(reply.headers ?? {}),
    });
    res.flushHeaders();
    let i = 0;
    let ended = false;
    res.on('close', () => {
      if (!ended) this.streamsAborted += 1;
    });
    const next = () => {
      if (res.destroyed) return;
      if (i >= events.length) {
        ended = true;
        this.streamsCompleted += 1;
        res.end();
        return;
      }
      res.write(events[i]!);
      i += 1;
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        next();
      }, reply.intervalMs ?? 0);
      this.timers.add(timer);
    };
    next();
  }

  /** Control paths so a test in another process can drive a fake started by the CLI entry. */
  private control(req: FakeRequest, res: http.ServerResponse): void {
    const body = (req.json ?? {}) as Record<string, unknown>;
    if (req.method === 'GET' && req.path === '/__fake/requests') {
      send(res, { status: 200, body: this.requests });
    } else if (req.method === 'POST' && req.path === '/__fake/token') {
      this.addTokenFromControl(body);
      send(res, { status: 204 });
    } else if (req.method === 'POST' && req.path === '/__fake/reply') {
      this.setReplyFromControl(body);
      send(res, { status: 204 });
    } else if (req.method === 'POST' && req.path === '/__fake/fault') {
      this.setFault((body.fault ?? null) as Fault | null);
      send(res, { status: 204 });
    } else if (req.method === 'POST' && req.path === '/__fake/clear-requests') {
      this.clearRequests();
      send(res, { status: 204 });
    } else {
      send(res, { status: 404, body: { message: 'unknown control path' } });
    }
  }
}

function parseRequest(req: http.IncomingMessage, url: URL, body: string): FakeRequest {
  let json: unknown;
  let badJson = false;
  if (body.length > 0) {
    const type = String(req.headers['content-type'] ?? '');
    try {
      json = JSON.parse(body);
    } catch {
      // Form-encoded bodies are not used by these APIs' clients here; anything else is bad JSON.
      badJson = !type.includes('x-www-form-urlencoded');
    }
  }
  return {
    method: req.method ?? 'GET',
    path: url.pathname,
    query: url.searchParams,
    headers: req.headers,
    body,
    json,
    badJson,
  };
}

function flattenHeaders(h: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) {
    if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

function send(res: http.ServerResponse, reply: Reply): void {
  const headers: Record<string, string> = { ...(reply.headers ?? {}) };
  let payload = '';
  if (reply.body !== undefined) {
    payload = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
    if (!Object.keys(headers).some((k) => k.toLowerCase() === 'content-type')) {
      headers['Content-Type'] = 'application/json; charset=utf-8';
    }
  }
  headers['Content-Length'] = String(Buffer.byteLength(payload));
  res.writeHead(reply.status, headers);
  res.end(payload);
}

/** Tokens and keys as the fakes keep them: a sequence for ids, times as ISO strings. */
let nextId = 1000;
export function newId(): number {
  nextId += 1;
  return nextId;
}
