// The tRPC client to the credential service, typed by the service's AppRouter (types only, so
// nothing of the service is bundled), and the one place service errors become user messages.
import {
  createTRPCClient,
  createTRPCUntypedClient,
  httpLink,
  isTRPCClientError,
} from '@trpc/client';
import type { TRPCClient, TRPCUntypedClient } from '@trpc/client';
import type { AppRouter } from '../service/routers/_app';

export type ServiceClient = TRPCClient<AppRouter>;

/** Every call gives up after this long, so a hung service never hangs the editor. */
const REQUEST_TIMEOUT_MS = 30_000;

function links(serviceUrl: string, token?: string) {
  return [
    httpLink({
      url: `${serviceUrl.replace(/\/+$/, '')}/trpc`,
      headers: () => (token ? { Authorization: `Bearer ${token}` } : {}),
      fetch: (url, init) => {
        const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
        const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
        return fetch(url, { ...(init as RequestInit), signal });
      },
    }),
  ];
}

export function createServiceClient(serviceUrl: string, token?: string): ServiceClient {
  return createTRPCClient<AppRouter>({ links: links(serviceUrl, token) });
}

/**
 * A client calling procedures by name, for procedures a service may not have yet (the OAuth
 * device flow, added in a later release): the caller checks every answer with zod.
 */
export function createUntypedServiceClient(
  serviceUrl: string,
  token?: string,
): TRPCUntypedClient<AppRouter> {
  return createTRPCUntypedClient<AppRouter>({ links: links(serviceUrl, token) });
}

export type ServiceErrorKind =
  | 'signed_out'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'invalid'
  | 'rate_limited'
  | 'unavailable'
  | 'network'
  | 'other';

/** The extension's single error type: its message is fit to show a user as is. */
export class ServiceError extends Error {
  constructor(
    message: string,
    readonly kind: ServiceErrorKind,
  ) {
    super(message);
    this.name = 'ServiceError';
  }
}

export const SESSION_EXPIRED_MESSAGE = 'Your session has expired. Sign in again.';

const KIND_BY_CODE: Record<string, ServiceErrorKind> = {
  UNAUTHORIZED: 'unauthorized',
  FORBIDDEN: 'forbidden',
  NOT_FOUND: 'not_found',
  CONFLICT: 'conflict',
  BAD_REQUEST: 'invalid',
  PAYLOAD_TOO_LARGE: 'invalid',
  // A feature the service has but is not configured for (an OAuth app without a client id).
  PRECONDITION_FAILED: 'invalid',
  NOT_IMPLEMENTED: 'unavailable',
  TOO_MANY_REQUESTS: 'rate_limited',
  SERVICE_UNAVAILABLE: 'unavailable',
};

function errorCode(err: unknown): string | undefined {
  if (!isTRPCClientError(err)) return undefined;
  const data: unknown = err.data;
  if (typeof data === 'object' && data !== null && 'code' in data) {
    const code = (data as { code: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/** Maps anything a call can throw to a ServiceError with words a user reads; never a stack. */
export function toServiceError(err: unknown, serviceUrl: string): ServiceError {
  if (err instanceof ServiceError) return err;
  const code = errorCode(err);
  if (code === undefined) {
    // No tRPC error shape: the request never got a tRPC answer (refused, DNS, timeout, or
    // something else listening at that address).
    const cause = err instanceof Error ? err.cause : undefined;
    const name = err instanceof Error ? err.name : '';
    const timedOut =
      name === 'TimeoutError' || (cause instanceof Error && cause.name === 'TimeoutError');
    return new ServiceError(
      timedOut
        ? `The credential service at ${serviceUrl} did not answer in time.`
        : `Cannot reach the credential service at ${serviceUrl}.`,
      'network',
    );
  }
  if (code === 'UNAUTHORIZED') return new ServiceError(SESSION_EXPIRED_MESSAGE, 'unauthorized');
  const kind = KIND_BY_CODE[code] ?? 'other';
  const serverMessage = err instanceof Error ? err.message.trim() : '';
  if (kind === 'other' || !serverMessage) {
    // An internal failure's text is for the operator's log, not for the user's screen.
    return new ServiceError(
      'The credential service could not complete the request. Try again; if it keeps failing, ask its operator to check the service log.',
      'other',
    );
  }
  return new ServiceError(firstLine(serverMessage), kind);
}

function firstLine(text: string): string {
  // A message is one sentence or two; anything after a newline would be a trace.
  return (text.split('\n')[0] ?? '').slice(0, 300);
}
