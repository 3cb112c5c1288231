// A fast path for the most frequent tRPC call: one query over GET (`/trpc/path?input=...`, no
// batch). tRPC's node adapter turns every request into a fetch Request and Response, which costs
// more than the query itself; here the same procedure runs through tRPC's own callProcedure and
// the answer is the same JSON envelope and error shape. Anything else (mutations, batches, odd
// URLs, input that is not JSON) goes on to the adapter, which answers it as tRPC always does.
// callProcedure and getErrorShape come from tRPC's internals (`unstable-core-do-not-import`),
// which may change in any release: @trpc/server and @trpc/client are pinned exactly in
// package.json, and an upgrade is checked against test/service/http/trpcQueries.test.ts.
import type { AnyRouter, TRPCError } from '@trpc/server';
import { callProcedure, getErrorShape } from '@trpc/server/unstable-core-do-not-import';
import type Koa from 'koa';
import type { Context } from '../context';
import { toHttpError, toTRPCError } from '../httpErrors';

export interface QueryFastPathOptions {
  router: AnyRouter;
  prefix: string;
  createContext: (ctx: Koa.Context) => Context;
  onError: (error: TRPCError, path: string) => void;
}

interface ProcedureLike {
  _def: { type: 'query' | 'mutation' | 'subscription' };
}

export function createQueryFastPath(options: QueryFastPathOptions): Koa.Middleware {
  const procedures = options.router._def.procedures as Record<string, ProcedureLike | undefined>;
  const prefix = options.prefix + '/';
  return async (ctx, next) => {
    if (ctx.method !== 'GET' || !ctx.path.startsWith(prefix)) return next();
    const path = ctx.path.slice(prefix.length);
    const procedure = Object.hasOwn(procedures, path) ? procedures[path] : undefined;
    if (!procedure || procedure._def.type !== 'query') return next();
    const query = new URLSearchParams(ctx.querystring);
    let keys = 0;
    for (const key of query.keys()) {
      if (key !== 'input') return next();
      keys++;
    }
    if (keys > 1) return next();
    const rawInput = query.get('input');
    let input: unknown;
    if (rawInput !== null) {
      try {
        input = JSON.parse(rawInput) as unknown;
      } catch {
        return next();
      }
    }

    const context = options.createContext(ctx);
    ctx.set('Content-Type', 'application/json');
    ctx.set('Vary', 'trpc-accept');
    try {
      const data: unknown = await callProcedure({
        router: options.router,
        path,
        getRawInput: async () => input,
        ctx: context,
        type: 'query',
        signal: undefined,
        batchIndex: 0,
      });
      ctx.status = 200;
      ctx.body = JSON.stringify({ result: { data } });
    } catch (cause) {
      const error = toTRPCError(cause);
      options.onError(error, path);
      const answer = toHttpError(error);
      ctx.set(answer.headers);
      const shape: unknown = getErrorShape({
        config: options.router._def._config,
        error,
        type: 'query',
        path,
        input,
        ctx: context,
      });
      ctx.status = answer.status;
      ctx.body = JSON.stringify({ error: shape });
    }
  };
}
