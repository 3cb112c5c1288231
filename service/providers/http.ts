// One way to call a provider API: global fetch with a timeout, a User-Agent, no redirects
// (a redirect could carry a token header to another host) and a size cap on the answer.
// Network failures and timeouts come back as values, never as exceptions.
import pkg from '../../package.json';

export const DEFAULT_TIMEOUT_MS = 5_000;
export const USER_AGENT = `xaresaicoder-credentials/${pkg.version}`;
const MAX_RESPONSE_BYTES = 1024 * 1024;

export interface ProviderRequest {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** Sent as JSON. */
  json?: unknown;
  timeoutMs?: number;
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
  if (req.json !== undefined) headers['Content-Type'] = 'application/json';
  try {
    // The one signal covers connecting, the headers and reading the body.
    const res = await fetch(url, {
      method: req.method ?? 'GET',
      headers,
      body: req.json === undefined ? undefined : JSON.stringify(req.json),
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await readCapped(res);
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { ok: true, status: res.status, headers: res.headers, text, json };
  } catch (err) {
    return describeFailure(err, timeoutMs);
  }
}

async function readCapped(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_RESPONSE_BYTES) {
      await reader.cancel();
      break;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function describeFailure(err: unknown, timeoutMs: number): ProviderResponse {
  const e = err as { name?: string; cause?: { code?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') {
    return {
      ok: false,
      reason: 'timeout',
      detail: `did not answer within ${formatSeconds(timeoutMs)}`,
    };
  }
  const code = e?.cause?.code;
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
