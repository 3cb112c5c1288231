// The connections to providers: kept open between calls (a TCP and TLS handshake per call costs
// time to first byte), with Nagle off, and each new one made through the providers' guarded
// lookup (providers/http.ts, over the one address rule of providers/addresses.ts): the host name
// is resolved once, a name with any link-local, cloud metadata or unspecified address is never
// connected to, and the address checked is the address connected to, so the name cannot be
// re-resolved elsewhere between the check and the connection. A pooled connection stays on the
// address that was checked when it was made. An IP literal is checked before the call (no lookup
// is made for one).
import http from 'node:http';
import https from 'node:https';
import { forbiddenAddressReason } from '../providers/addresses';
import { guardedLookup, type Resolver, systemResolver } from '../providers/http';

export type { Resolver } from '../providers/http';
export { ForbiddenAddressError } from '../providers/http';

export interface UpstreamAgents {
  'http:': http.Agent;
  'https:': https.Agent;
}

/**
 * An idle connection is dropped after 4 s, before a server's usual 5 s keep-alive ends it: a call
 * sent on a socket the server is closing at that moment would fail for nothing.
 */
export function createUpstreamAgents(resolve: Resolver = systemResolver): UpstreamAgents {
  const lookup = guardedLookup(resolve);
  return {
    'http:': new http.Agent({ keepAlive: true, timeout: 4000, lookup }),
    'https:': new https.Agent({ keepAlive: true, timeout: 4000, lookup }),
  };
}

/** Why the target's host may not be called when it is an IP literal; undefined otherwise. */
export function forbiddenLiteral(target: URL): string | undefined {
  return forbiddenAddressReason(target.hostname);
}
