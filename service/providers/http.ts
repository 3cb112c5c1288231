// One way to call a provider API: node:http(s) with a timeout, a User-Agent, no redirects (a
// redirect could carry a token header to another host) and a size cap on the answer. The host
// name is resolved once, by the connection's own lookup: if any address it resolves to is
// link-local, cloud metadata or unspecified the request is refused before connecting, and the
// address checked is the address connected to (no second resolution a DNS answer could change).
// Network failures and timeouts come back as values, never as exceptions.
import { lookup as dnsLookup } from 'node:dns/promises';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import pkg from '../../package.json';
import { forbiddenAddressReason } from './addresses';

export const DEFAULT_TIMEOUT_MS = 5_000;
export const USER_AGENT = `xaresaicoder-credentials/${pkg.version}`;
const MAX_RESPONSE_BYTES = 1024 * 1024;

/** Resolves a host name to every address it has (the system resolver by default). */
export type Resolver = (hostname: string) => Promise<Array<{ address: string; family: number }>>;

export const systemResolver: Resolver = (hostname) =>
  dnsLookup(hostname, { all: true, verbatim: true });

export interface ProviderRequest {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** Sent as JSON. */
  json?: unknown;
  timeoutMs?: number;
  /** Tests only: a resolver standing in for DNS (a name that resolves to a metadata address). */
  resolve?: Resolver;
}

export type ProviderResponse =
  | {
      ok: true;
      status: number;
      headers: Headers;
      text: string;
      /** The parsed body, or undefined when it is not JSON. */
      json: unknown;
    }
  | { ok: false; reason: 'timeout' | 'network'; detail: string };

/** A resolved address a provider URL may not reach; the request never connects. */
export class ForbiddenAddressError extends Error {
  override name = 'ForbiddenAddressError';
  readonly code = 'EXARES_FORBIDDEN_ADDRESS';
}

/**
 * The connection's lookup: resolve once, refuse if any address is forbidden, hand over the rest.
 * The AI gateway gives it to its keep-alive agents: each new connection is checked as it is
 * made, and a pooled one stays on the address that was checked.
 */
export function guardedLookup(resolve: Resolver): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname).then(
      (found) => {
        const refused = found.map((a) => forbiddenAddressReason(a.address)).find(Boolean);
        if (refused) {
          callback(new ForbiddenAddressError(`its host name resolves to ${refused}`), '', 0);
          return;
        }
        const usable = found.filter((a) => !options.family || a.family === options.family);
        const first = usable[0];
        if (!first) {
          const err = Object.assign(new Error('no address'), { code: 'ENOTFOUND' });
          callback(err, '', 0);
          return;
        }
        if (options.all) {
          (callback as unknown as (e: null, a: typeof usable) => void)(null, usable);
        } else {
          callback(null, first.address, first.family);
        }
      },
      (err: NodeJS.ErrnoException) => callback(err, '', 0),
    );
  };
}

export async function providerFetch(
  url: string,
  req: ProviderRequest = {},
): Promise<ProviderResponse> {
  const timeoutMs = req.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const headers: Record<string, string> = {
    'User-Agent': USER_AGENT,
    Accept: 'application/json',
    ...(req.headers ?? {}),
  };
  const body = req.json === undefined ? undefined : JSON.stringify(req.json);
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    headers['Content-Length'] = String(Buffer.byteLength(body));
  }
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return { ok: false, reason: 'network', detail: 'its address is not a valid URL' };
  }
  if (target.protocol !== 'https:' && target.protocol !== 'http:') {
    return { ok: false, reason: 'network', detail: 'its address is not http(s)' };
  }
  // An IP literal is never looked up: check it here.
  const literal = forbiddenAddressReason(target.hostname);
  if (literal) return { ok: false, reason: 'network', detail: `its address is ${literal}` };
  try {
    // The one signal covers connecting, the headers and reading the body.
    const signal = AbortSignal.timeout(timeoutMs);
    const res = await send(target, {
      method: req.method ?? 'GET',
      headers,
      body,
      signal,
      lookup: guardedLookup(req.resolve ?? systemResolver),
    });
    const text = await readCapped(res);
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { ok: true, status: res.statusCode ?? 0, headers: toHeaders(res), text, json };
  } catch (err) {
    return describeFailure(err, timeoutMs);
  }
}

function send(
  target: URL,
  options: {
    method: string;
    headers: Record<string, string>;
    body: string | undefined;
    signal: AbortSignal;
    lookup: LookupFunction;
  },
): Promise<IncomingMessage> {
  const client = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.request(target, {
      method: options.method,
      headers: options.headers,
      signal: options.signal,
      lookup: options.lookup,
      // A fresh connection each time: a pooled socket would skip the lookup's check.
      agent: false,
    });
    request.once('response', resolve);
    request.once('error', reject);
    request.end(options.body);
  });
}

function toHeaders(res: IncomingMessage): Headers {
  const out = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) out.append(name, v);
  }
  return out;
}

async function readCapped(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > MAX_RESPONSE_BYTES) {
      res.destroy();
      break;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function describeFailure(err: unknown, timeoutMs: number): ProviderResponse {
  const e = err as {
    name?: string;
    code?: string;
    message?: string;
    cause?: { name?: string; code?: string };
  };
  if (err instanceof ForbiddenAddressError) {
    return { ok: false, reason: 'network', detail: `${err.message}, which is never called` };
  }
  if (
    e?.name === 'TimeoutError' ||
    e?.name === 'AbortError' ||
    e?.cause?.name === 'TimeoutError' ||
    e?.code === 'ABORT_ERR'
  ) {
    return {
      ok: false,
      reason: 'timeout',
      detail: `did not answer within ${formatSeconds(timeoutMs)}`,
    };
  }
  const code = e?.code ?? e?.cause?.code;
  const words: Record<string, string> = {
    ECONNREFUSED: 'the connection was refused',
    ECONNRESET: 'the connection was reset',
    UND_ERR_SOCKET: 'the connection was closed before an answer',
    ENOTFOUND: 'the host name was not found',
    EAI_AGAIN: 'the host name could not be resolved',
    EHOSTUNREACH: 'the host is unreachable',
    ENETUNREACH: 'the network is unreachable',
    ETIMEDOUT: 'the connection timed out',
    CERT_HAS_EXPIRED: 'its TLS certificate has expired',
    DEPTH_ZERO_SELF_SIGNED_CERT: 'its TLS certificate is self-signed',
    UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'its TLS certificate could not be verified',
    ERR_TLS_CERT_ALTNAME_INVALID: 'its TLS certificate does not match the host name',
    SELF_SIGNED_CERT_IN_CHAIN: 'its TLS certificate could not be verified',
  };
  const detail = (code && words[code]) ?? 'the connection failed';
  return { ok: false, reason: 'network', detail };
}

function formatSeconds(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}

/** Text from a provider (a login, a message) made safe to show: one short line, no secret. */
export function cleanProviderText(text: unknown, secret: string, max = 200): string {
  if (typeof text !== 'string') return '';
  let out = text;
  if (secret.length >= 4) out = out.split(secret).join('…');
  out = [...out]
    .map((c) => (c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f ? ' ' : c))
    .join('');
  out = out.replace(/\s+/g, ' ').trim();
  return out.length > max ? `${out.slice(0, max - 1)}…` : out;
}

/** The origin of a base URL, for messages (paths and queries stay out of what users read). */
export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'the configured address';
  }
}
