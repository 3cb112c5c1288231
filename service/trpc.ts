// initTRPC for the service: the procedure builders (public, protected = any session, user = user
// sessions only), AppError -> TRPCError mapped once, and an error shape without stack, SQL or secret.
import { initTRPC, TRPCError } from '@trpc/server';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';
import type { OpenApiMeta } from 'trpc-to-openapi';
import type { Context } from './context';
import { authenticate } from './domain/auth';
import type { Caller } from './domain/deps';
import { AppError } from './errors';
import { isUnavailable } from './store/dialect';

/** Procedure metadata: the REST mirror's path (trpc-to-openapi) and its success status. */
export type Meta = OpenApiMeta<{ successStatus?: number }>;

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

const t = initTRPC
  .context<Context>()
  .meta<Meta>()
  .create({
    isDev: false,
    errorFormatter({ shape, error }) {
      const issues = publicIssues(error);
      return {
        code: shape.code,
        message: publicMessage(error),
        data: {
          code: shape.data.code,
          httpStatus: shape.data.httpStatus,
          path: shape.data.path,
          ...(issues ? { issues } : {}),
        },
      };
    },
  });

export function toTRPCError(error: AppError): TRPCError {
  return new TRPCError({
    code: error.code as TRPC_ERROR_CODE_KEY,
    message: error.message,
    cause: error,
  });
}

/** A database that cannot be reached (or was closed) is an outage, not a bug: 503. */
function isDatabaseDown(cause: unknown): boolean {
  return (
    isUnavailable(cause) ||
    (cause instanceof Error && /driver has already been destroyed/.test(cause.message))
  );
}

/**
 * The one place domain errors become TRPCErrors: AppError with its own code and message, an
 * unreachable database as SERVICE_UNAVAILABLE; anything else stays as it is (a 500, logged).
 */
function mapDomainError(cause: unknown): TRPCError | undefined {
  if (cause instanceof AppError) return toTRPCError(cause);
  if (isDatabaseDown(cause)) {
    return new TRPCError({
      code: 'SERVICE_UNAVAILABLE',
      message: 'the database is not reachable; try again shortly',
      cause,
    });
  }
  return undefined;
}

/** Applied after the resolver ran: a failed result's cause is mapped, once. */
function mapResult<R extends { ok: boolean; error?: TRPCError }>(result: R): R {
  if (!result.ok && result.error) {
    const mapped = mapDomainError(result.error.cause);
    if (mapped) throw mapped;
  }
  return result;
}

async function resolveCaller(ctx: Context): Promise<Caller> {
  const token = ctx.request.bearerToken;
  let caller: Caller | null = null;
  try {
    caller = token ? await authenticate(ctx.deps, token, ctx.request) : null;
  } catch (err) {
    throw mapDomainError(err) ?? err;
  }
  if (!caller) {
    throw new TRPCError({
      code: 'UNAUTHORIZED',
      message: 'sign in first: the session is missing, expired or revoked',
    });
  }
  return caller;
}

/** The most calls one tRPC batch may carry (documented in the README's Security model). */
export const MAX_BATCH_CALLS = 10;

/** Procedures that are evaluated only alone: a sign-in never shares a request with anything. */
const UNBATCHABLE = new Set(['auth.login']);

/**
 * The batch rules, checked before any call of a request is evaluated: at most MAX_BATCH_CALLS
 * calls, and auth.login in a batch only alone (a batch of logins would multiply password checks
 * per request, and the limiter's answer per call would come too late to spare them).
 */
export function assertBatchAllowed(info: {
  isBatchCall: boolean;
  calls: ReadonlyArray<{ path: string }>;
}): void {
  if (!info.isBatchCall) return;
  if (info.calls.length > MAX_BATCH_CALLS) {
    throw new TRPCError({
      code: 'BAD_REQUEST',
      message: `a batch may carry at most ${MAX_BATCH_CALLS} calls; this one has ${info.calls.length}`,
    });
  }
  if (info.calls.length > 1) {
    const alone = info.calls.find((c) => UNBATCHABLE.has(c.path));
    if (alone) {
      throw new TRPCError({
        code: 'BAD_REQUEST',
        message: `${alone.path} cannot be batched with other calls; send it as a request of its own`,
      });
    }
  }
}

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

// One middleware per kind of procedure (each level of tRPC's middleware chain copies the
// context, and these run on every request).
export const publicProcedure = t.procedure.use(async ({ next }) => mapResult(await next()));

/** Any valid session, user or workspace: resolves the bearer token into a caller. */
export const protectedProcedure = t.procedure.use(async ({ ctx, next }) => {
  const caller = await resolveCaller(ctx);
  return mapResult(await next({ ctx: { caller } }));
});

/** User sessions only: a workspace session may not manage credentials. */
export const userProcedure = t.procedure.use(async ({ ctx, next }) => {
  const caller = await resolveCaller(ctx);
  if (caller.sessionKind !== 'user') {
    throw new TRPCError({
      code: 'FORBIDDEN',
      message: 'a workspace session cannot do this; sign in as the user',
    });
  }
  return mapResult(await next({ ctx: { caller } }));
});
