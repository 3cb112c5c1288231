// The service's one error mapping, one function per direction. In: whatever a procedure, a
// middleware or an endpoint threw becomes a TRPCError (toTRPCError): the domain's AppError with
// its own code and message, an unreachable database as 503, anything else a 500 that is logged.
// Out: a TRPCError becomes what an HTTP answer carries (toHttpError): its status, its headers
// (Retry-After is written here and nowhere else) and the body the REST mirror sends. What a
// client may read of an error is decided here too: never a stack, SQL, a secret or JSON input.
import { TRPCError } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';
import { AppError } from './errors';
import { isUnavailable } from './store/dialect';

/** One issue of an input, as the client may show it next to a field. */
export interface PublicIssue {
  path: string;
  message: string;
}

interface IssueLike {
  path?: ReadonlyArray<PropertyKey | { key: PropertyKey }>;
  message: string;
}

function issuesOf(cause: unknown): IssueLike[] | null {
  if (cause && typeof cause === 'object' && 'issues' in cause && Array.isArray(cause.issues)) {
    return cause.issues as IssueLike[];
  }
  return null;
}

function issuePath(issue: IssueLike): string {
  return (issue.path ?? [])
    .map((p) => (typeof p === 'object' ? String(p.key) : String(p)))
    .join('.');
}

/** The zod issues of an input as one sentence: "name: must not be empty; token: is required". */
export function describeIssues(issues: IssueLike[]): string {
  const parts = issues.slice(0, 10).map((i) => {
    const path = issuePath(i);
    // Our own messages already name the field; zod's generic ones do not.
    const message = i.message.replace(/^Invalid input: /, '');
    return path && !message.startsWith(path) ? `${path}: ${message}` : message;
  });
  return `invalid input: ${parts.join('; ')}`;
}

/** The message a client may see for an error; never the text of an unexpected failure. */
export function publicMessage(error: TRPCError): string {
  const issues = error.code === 'BAD_REQUEST' ? issuesOf(error.cause) : null;
  if (issues) return describeIssues(issues);
  // JSON.parse messages quote the input, which may be a secret.
  if (error.cause instanceof SyntaxError) return 'the request is not valid JSON';
  switch (error.code) {
    case 'INTERNAL_SERVER_ERROR':
      return 'internal error';
    case 'PARSE_ERROR':
      return 'the request body is not valid JSON';
    case 'PAYLOAD_TOO_LARGE':
      return 'the request body is larger than 64 KiB';
    default:
      return error.message;
  }
}

export function publicIssues(error: TRPCError): PublicIssue[] | undefined {
  const issues = error.code === 'BAD_REQUEST' ? issuesOf(error.cause) : null;
  return issues?.map((i) => ({ path: issuePath(i), message: i.message }));
}

/** Errors that mean a bug or an outage rather than a caller's mistake: these get logged. */
export function isUnexpected(error: TRPCError): boolean {
  return error.code === 'INTERNAL_SERVER_ERROR';
}

/** A database that cannot be reached (or was closed) is an outage, not a bug: 503. */
function isDatabaseDown(cause: unknown): boolean {
  return (
    isUnavailable(cause) ||
    (cause instanceof Error && /driver has already been destroyed/.test(cause.message))
  );
}

/**
 * In: anything thrown, as a TRPCError. An AppError keeps its code and message; an unreachable
 * database is SERVICE_UNAVAILABLE; a TRPCError stays as it is, except tRPC's own wrapping of
 * what a resolver threw (INTERNAL_SERVER_ERROR around an AppError or a database outage), which
 * is mapped from its cause; anything else is INTERNAL_SERVER_ERROR with the error as its cause.
 */
export function toTRPCError(err: unknown): TRPCError {
  if (err instanceof TRPCError) {
    const cause = err.cause;
    const wrapped =
      err.code === 'INTERNAL_SERVER_ERROR' && (cause instanceof AppError || isDatabaseDown(cause));
    return wrapped ? toTRPCError(cause) : err;
  }
  if (err instanceof AppError) {
    return new TRPCError({
      code: err.code as TRPC_ERROR_CODE_KEY,
      message: err.message,
      cause: err,
    });
  }
  if (isDatabaseDown(err)) {
    return new TRPCError({
      code: 'SERVICE_UNAVAILABLE',
      message: 'the database is not reachable; try again shortly',
      cause: err,
    });
  }
  return new TRPCError({ code: 'INTERNAL_SERVER_ERROR', cause: err });
}

/** An error as an HTTP answer: the status, the headers and a `{code, message, issues?}` body. */
export interface HttpError {
  status: number;
  headers: Record<string, string>;
  body: { code: string; message: string; issues?: PublicIssue[] };
}

/**
 * Out: a TRPCError as an HTTP answer. The tRPC transports send their own body (tRPC's error
 * shape) with this status and these headers; the REST mirror sends this body; the git
 * credential endpoint sends the status and headers with an empty body.
 */
export function toHttpError(error: TRPCError): HttpError {
  const headers: Record<string, string> = {};
  const cause = error.cause;
  if (cause instanceof AppError && cause.retryAfterSeconds !== undefined) {
    headers['Retry-After'] = String(cause.retryAfterSeconds);
  }
  const issues = publicIssues(error);
  return {
    status: getHTTPStatusCodeFromError(error),
    headers,
    body: { code: error.code, message: publicMessage(error), ...(issues ? { issues } : {}) },
  };
}
