// The gateway token as the providers' SDKs send a key (Authorization: Bearer, x-api-key,
// x-goog-api-key or ?key=), and the request headers that go upstream: the token stripped, the
// hop-by-hop headers dropped, the real key set in the provider's own header.
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { GatewayProvider } from './routes';

/** The token the caller sent, in the first of the places the SDKs use; undefined when none. */
export function gatewayTokenOf(headers: IncomingHttpHeaders, query: string): string | undefined {
  const auth = headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m) return m[1];
  }
  for (const name of ['x-api-key', 'x-goog-api-key'] as const) {
    const v = headers[name];
    if (typeof v === 'string' && v.trim() !== '') return v.trim();
  }
  if (/(^|&)key=/.test(query)) return new URLSearchParams(query).get('key') ?? undefined;
  return undefined;
}

/** Headers meaningful for one connection only (RFC 9110 7.6.1), plus what the gateway owns. */
const DROPPED_REQUEST = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  // the gateway token, in every place a client may have put it
  'authorization',
  'x-api-key',
  'x-goog-api-key',
  // the service's own cookies (none) and forwarding claims are not the provider's business
  'cookie',
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-real-ip',
  // usage is read from the answer, so it must come back uncompressed
  'accept-encoding',
]);

const DROPPED_RESPONSE = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  // a provider's cookies (load balancer affinity) would be set on the service's address
  'set-cookie',
]);

function listedInConnection(headers: IncomingHttpHeaders): Set<string> {
  const c = headers.connection;
  const text = Array.isArray(c) ? c.join(',') : (c ?? '');
  return new Set(
    text
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
  );
}

/** The request headers for upstream, with the provider's key in its own header. */
export function upstreamRequestHeaders(
  incoming: IncomingHttpHeaders,
  provider: GatewayProvider,
  key: string,
  bodyLength: number,
): OutgoingHttpHeaders {
  const extra = listedInConnection(incoming);
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || DROPPED_REQUEST.has(name) || extra.has(name)) continue;
    out[name] = value;
  }
  out['accept-encoding'] = 'identity';
  if (bodyLength > 0) out['content-length'] = String(bodyLength);
  if (provider === 'anthropic') out['x-api-key'] = key;
  else if (provider === 'google') out['x-goog-api-key'] = key;
  else out.authorization = `Bearer ${key}`;
  return out;
}

/** The provider's answer headers for the caller, hop-by-hop ones dropped. */
export function downstreamResponseHeaders(incoming: IncomingHttpHeaders): OutgoingHttpHeaders {
  const extra = listedInConnection(incoming);
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || DROPPED_RESPONSE.has(name) || extra.has(name)) continue;
    out[name] = value;
  }
  return out;
}
