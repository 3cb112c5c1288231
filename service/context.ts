// The tRPC context: the service's dependencies plus what one request carries (its bearer token,
// address and user agent). The inner part is plain data, so tests can build it without HTTP.
import type { IncomingHttpHeaders } from 'node:http';
import type { RequestOrigin, ServiceDeps } from './domain/deps';

export interface RequestInfo extends RequestOrigin {
  /** The bearer token of the Authorization header, if any; never logged. */
  bearerToken: string | null;
}

export interface Context {
  deps: ServiceDeps;
  request: RequestInfo;
}

export function createInnerContext(deps: ServiceDeps, request: RequestInfo): Context {
  return { deps, request };
}

const MAX_USER_AGENT = 512;

/** Reads the parts of an HTTP request the procedures use. */
/** The part of a Node request the context reads (the tRPC adapter's type is looser than Node's). */
export interface RequestLike {
  headers: IncomingHttpHeaders;
  socket?: { remoteAddress?: string | undefined } | undefined;
}

export function requestInfoFrom(req: RequestLike): RequestInfo {
  const header = req.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  const agent = req.headers['user-agent'];
  return {
    bearerToken: match?.[1] ?? null,
    ipAddress: req.socket?.remoteAddress ?? null,
    userAgent: typeof agent === 'string' ? agent.slice(0, MAX_USER_AGENT) : null,
  };
}
