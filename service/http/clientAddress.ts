// The client's address for the limiter and the audit log. By default the TCP peer: an
// X-Forwarded-For header is text any client can write. Only when the peer is one of
// CREDENTIAL_TRUSTED_PROXIES is the header read, from the right (each proxy appends the address
// it saw), and the first hop that is not itself a trusted proxy is the client; what a client
// wrote further left is never reached.
import { BlockList, isIP } from 'node:net';
import type { TrustedProxy } from '../config';
import type { RequestLike } from '../context';

/** Hops examined at most: a longer chain of trusted proxies is not a real deployment. */
const MAX_HOPS = 16;

/** `::ffff:10.0.0.1` (an IPv4 client of a dual-stack socket) is `10.0.0.1`. */
function normalize(address: string): string {
  const lower = address.toLowerCase();
  return lower.startsWith('::ffff:') && isIP(lower.slice(7)) === 4 ? lower.slice(7) : lower;
}

/** One X-Forwarded-For entry as an address, without port or brackets; null if it is not one. */
function hopAddress(hop: string): string | null {
  let text = hop.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(text);
  if (bracketed?.[1]) text = bracketed[1];
  else if (/^[\d.]+:\d+$/.test(text)) text = text.slice(0, text.lastIndexOf(':'));
  return isIP(text) ? normalize(text) : null;
}

function trustList(entries: readonly TrustedProxy[]): BlockList {
  const list = new BlockList();
  for (const e of entries) {
    if (e.prefix === undefined) list.addAddress(normalize(e.address), e.type);
    else list.addSubnet(normalize(e.address), e.prefix, e.type);
  }
  return list;
}

export type ClientAddressOf = (req: RequestLike) => string | null;

/** The resolver for a list of trusted proxies; undefined when none is trusted (use the peer). */
export function clientAddressResolver(
  trusted: readonly TrustedProxy[],
): ClientAddressOf | undefined {
  if (trusted.length === 0) return undefined;
  const list = trustList(trusted);
  const isTrusted = (address: string) => list.check(address, isIP(address) === 4 ? 'ipv4' : 'ipv6');
  return (req) => {
    const peer = req.socket?.remoteAddress;
    if (!peer) return null;
    let client = normalize(peer);
    if (!isTrusted(client)) return client;
    const header = req.headers['x-forwarded-for'];
    const hops = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',');
    for (let i = hops.length - 1; i >= 0 && i >= hops.length - MAX_HOPS; i--) {
      const hop = hopAddress(hops[i] ?? '');
      // Garbage where an address belongs: the last trusted hop is all that is known.
      if (hop === null) return client;
      client = hop;
      if (!isTrusted(hop)) return hop;
    }
    return client;
  };
}
