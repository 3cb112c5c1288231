// initTRPC for the service: the procedure builders (public, protected = any session, user = user
// sessions only), the batch rules, and the error shape; errors are mapped in httpErrors.ts.
import { initTRPC, TRPCError } from '@trpc/server';
import type { OpenApiMeta } from 'trpc-to-openapi';
import type { Context } from './context';
import { authenticate } from './domain/auth';
import type { Caller } from './domain/deps';
import { publicIssues, publicMessage, toTRPCError } from './httpErrors';

/** Procedure metadata: the REST mirror's path (trpc-to-openapi) and its success status. */
export type Meta = OpenApiMeta<{ successStatus?: number }>;

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

/** Applied after the resolver ran: a failed result's error is mapped, once (httpErrors.ts). */
function mapResult<R extends { ok: boolean; error?: TRPCError }>(result: R): R {
  if (!result.ok && result.error) {
    const mapped = toTRPCError(result.error);
    if (mapped !== result.error) throw mapped;
  }
  return result;
}

async function resolveCaller(ctx: Context): Promise<Caller> {
  const token = ctx.request.bearerToken;
  let caller: Caller | null = null;
  try {
    caller = token ? await authenticate(ctx.deps, token, ctx.request) : null;
  } catch (err) {
    throw toTRPCError(err);
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
