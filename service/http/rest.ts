// Serves the REST mirror: routes every procedure that carries an OpenAPI path (method + path
// template) to that same procedure through a tRPC caller, so REST and tRPC share validation,
// authorization and domain code. Errors answer {code, message, issues?} with the tRPC status.
import { TRPCError } from '@trpc/server';
import type { AnyRouter } from '@trpc/server';
import type Koa from 'koa';
import type { Context } from '../context';
import { AppError } from '../errors';
import { isUnexpected, toHttpError, toTRPCError } from '../httpErrors';
import type { Logger } from '../logger';
import { createCallerFactory, type Meta } from '../trpc';
import { readJsonBody } from './body';

interface Route {
  method: string;
  pattern: RegExp;
  params: string[];
  procedurePath: string;
  successStatus: number;
}

interface ProcedureLike {
  _def: { meta?: Meta; type: 'query' | 'mutation' | 'subscription' };
}

function compileRoutes(router: AnyRouter): Route[] {
  const procedures = router._def.procedures as Record<string, ProcedureLike>;
  const routes: Route[] = [];
  for (const [procedurePath, procedure] of Object.entries(procedures)) {
    const meta = procedure._def.meta;
    if (!meta?.openapi) continue;
    const params: string[] = [];
    const source = meta.openapi.path
      .split('/')
      .map((segment) => {
        const param = /^\{(\w+)\}$/.exec(segment);
        if (!param?.[1]) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        params.push(param[1]);
        return '([^/]+)';
      })
      .join('/');
    routes.push({
      method: meta.openapi.method,
      pattern: new RegExp(`^${source}/?$`),
      params,
      procedurePath,
      successStatus: meta.successStatus ?? 200,
    });
  }
  return routes;
}

function queryInput(search: URLSearchParams): Record<string, string> {
  const input: Record<string, string> = {};
  for (const [key, value] of search) input[key] = value;
  return input;
}

export interface RestOptions {
  router: AnyRouter;
  prefix: string;
  createContext: (ctx: Koa.Context) => Context;
  logger: Logger;
}

/** Koa middleware answering `${prefix}/*` from the router's OpenAPI-annotated procedures. */
export function createRestMiddleware(options: RestOptions): Koa.Middleware {
  const routes = compileRoutes(options.router);
  const createCaller = createCallerFactory(options.router);
  return async (ctx, next) => {
    if (ctx.path !== options.prefix && !ctx.path.startsWith(options.prefix + '/')) return next();
    const subPath = ctx.path.slice(options.prefix.length) || '/';
    let pathMatched = false;
    let route: Route | undefined;
    let match: RegExpExecArray | null = null;
    for (const r of routes) {
      const m = r.pattern.exec(subPath);
      if (!m) continue;
      pathMatched = true;
      if (r.method === ctx.method) {
        route = r;
        match = m;
        break;
      }
    }
    try {
      if (!route || !match) {
        throw pathMatched
          ? new TRPCError({
              code: 'METHOD_NOT_SUPPORTED',
              message: `${ctx.method} is not supported on this path`,
            })
          : new TRPCError({
              code: 'NOT_FOUND',
              message: `no such REST endpoint: ${ctx.method} ${ctx.path}`,
            });
      }
      const fromPath: Record<string, string> = {};
      // The whole URL was checked to decode (malformedUrl.ts) before it reached here.
      route.params.forEach((name, i) => {
        fromPath[name] = decodeURIComponent(match[i + 1] ?? '');
      });
      let input: unknown;
      if (ctx.method === 'GET' || ctx.method === 'DELETE') {
        input = { ...queryInput(new URLSearchParams(ctx.querystring)), ...fromPath };
      } else {
        const body = await readJsonBody(ctx.req);
        if (
          body !== undefined &&
          (typeof body !== 'object' || body === null || Array.isArray(body))
        ) {
          throw new AppError('BAD_REQUEST', 'the request body must be a JSON object');
        }
        input = { ...(body as Record<string, unknown> | undefined), ...fromPath };
      }
      const caller = createCaller(options.createContext(ctx));
      const fn = route.procedurePath
        .split('.')
        .reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], caller);
      const data = await (fn as (input: unknown) => Promise<unknown>)(input);
      ctx.status = route.successStatus;
      ctx.body = data;
    } catch (err) {
      const error = toTRPCError(err);
      if (isUnexpected(error)) {
        options.logger.error({ err: error.cause ?? error, path: ctx.path }, 'request failed');
      }
      const answer = toHttpError(error);
      ctx.set(answer.headers);
      // The rest of an oversized body is not read: the connection cannot be reused.
      if (error.code === 'PAYLOAD_TOO_LARGE') ctx.set('Connection', 'close');
      ctx.status = answer.status;
      ctx.body = answer.body;
    }
  };
}
