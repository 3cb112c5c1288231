// The Koa application: access log, security headers, health checks, the OpenAPI document, the
// REST mirror at /api/credentials, tRPC at /trpc and the AI gateway at /ai. Listening and shutdown are in listen.ts.
import type { TRPCError } from '@trpc/server';
import Koa from 'koa';
import { createKoaMiddleware } from 'trpc-koa-adapter';
import { createInnerContext, type RequestLike, requestInfoFrom } from '../context';
import type { ServiceDeps } from '../domain/deps';
import { createGateway } from '../gateway/proxy';
import { GATEWAY_PREFIX } from '../gateway/routes';
import { appRouter } from '../routers/_app';
import { accessLoggerOf } from '../logger';
import { isUnexpected, toHttpError } from '../httpErrors';
import { assertBatchAllowed } from '../trpc';
import { BODY_LIMIT_BYTES } from './body';
import { clientAddressResolver } from './clientAddress';
import { GIT_CREDENTIAL_PATH, gitCredentialEndpoint } from './gitCredential';
import { healthz, readyz } from './health';
import { answeredMalformedUrl } from './malformedUrl';
import { openApiDocument, openApiRouter, REST_PREFIX } from './openapi';
import { createRestMiddleware } from './rest';
import { createQueryFastPath } from './trpcQueries';

export interface HttpAppOptions {
  /** Answer single GET queries without tRPC's fetch adapter (default true; see trpcQueries.ts). */
  queryFastPath?: boolean;
}

export function createHttpApp(deps: ServiceDeps, options: HttpAppOptions = {}): Koa {
  const { logger } = deps;
  const app = new Koa({ proxy: false });
  // Errors are answered and logged by the guard below; Koa's own printer would print stacks.
  app.silent = true;

  const clientAddress = clientAddressResolver(deps.config.trustedProxies);
  const contextFor = clientAddress
    ? (req: RequestLike) => {
        const info = requestInfoFrom(req);
        info.ipAddress = clientAddress(req);
        return createInnerContext(deps, info);
      }
    : (req: RequestLike) => createInnerContext(deps, requestInfoFrom(req));
  const onError = (error: TRPCError, procedure: string | undefined) => {
    if (isUnexpected(error)) {
      logger.error({ err: error.cause ?? error, procedure }, 'procedure failed');
    }
  };
  const notFound = async (ctx: Koa.Context) => {
    ctx.status = 404;
    ctx.body = { code: 'NOT_FOUND', message: `nothing at ${ctx.path}` };
  };

  const rest = createRestMiddleware({
    router: openApiRouter,
    prefix: REST_PREFIX,
    createContext: (ctx) => contextFor(ctx.req),
    logger,
  });
  const trpcAdapter = createKoaMiddleware({
    router: appRouter,
    prefix: '/trpc',
    maxBodySize: BODY_LIMIT_BYTES,
    createContext: ({ req, info }) => {
      // Before any call is evaluated: a refusal here answers every call of the batch.
      assertBatchAllowed(info);
      return contextFor(req);
    },
    responseMeta({ errors }) {
      // The first error that asks for headers (Retry-After) sets them for the whole answer.
      for (const error of errors) {
        const { headers } = toHttpError(error);
        if (Object.keys(headers).length > 0) return { headers };
      }
      return {};
    },
    onError: ({ error, path }) => onError(error, path),
  });
  const fastPath =
    options.queryFastPath === false
      ? undefined
      : createQueryFastPath({
          router: appRouter,
          prefix: '/trpc',
          createContext: (ctx) => contextFor(ctx.req),
          onError,
        });
  // At run time tRPC keeps a flat record of dotted procedure paths.
  const procedures = new Set(Object.keys(appRouter._def.procedures));
  const trpc = (ctx: Koa.Context) => {
    // An unknown procedure is answered here: tRPC's own answer repeats the whole path, which
    // may be kilobytes of whatever the caller sent.
    const unknown = ctx.path
      .slice('/trpc/'.length)
      .split(',')
      .find((name) => !procedures.has(name));
    if (unknown !== undefined) {
      const shown = unknown.length > 60 ? `${unknown.slice(0, 60)}…` : unknown;
      ctx.status = 404;
      ctx.body = {
        error: {
          message: `There is no procedure named "${shown}".`,
          code: -32004,
          data: { code: 'NOT_FOUND', httpStatus: 404 },
        },
      };
      return;
    }
    const adapter = () => trpcAdapter(ctx, () => notFound(ctx));
    return fastPath ? fastPath(ctx, adapter) : adapter();
  };

  const handleGateway = createGateway(deps, { clientAddress });
  // The gateway answers on the raw response: its body streams through, Koa must not touch it.
  const gateway = (ctx: Koa.Context) => {
    ctx.respond = false;
    return handleGateway(ctx.req, ctx.res);
  };

  /** Routes by path prefix in one step: each extra Koa middleware costs every request. */
  const route = async (ctx: Koa.Context): Promise<void> => {
    const path = ctx.path;
    const read = ctx.method === 'GET' || ctx.method === 'HEAD';
    if (path.startsWith('/trpc/')) {
      return answeredMalformedUrl(ctx, 'trpc') ? undefined : trpc(ctx);
    }
    if (path.startsWith(GATEWAY_PREFIX)) return gateway(ctx);
    if (path === GIT_CREDENTIAL_PATH) return gitCredentialEndpoint(deps, ctx);
    if (path === REST_PREFIX || path.startsWith(REST_PREFIX + '/')) {
      return answeredMalformedUrl(ctx, 'rest') ? undefined : rest(ctx, () => notFound(ctx));
    }
    if (path === '/healthz' && read) return healthz(ctx);
    if (path === '/readyz' && read) return readyz(ctx, deps.health, logger);
    if (path === '/api/openapi.json' && ctx.method === 'GET') {
      ctx.body = openApiDocument();
      return;
    }
    return notFound(ctx);
  };

  // One access-log line per request, with the path only: query strings can hold input.
  const accessLog = accessLoggerOf(logger);
  app.use(async (ctx) => {
    const started = process.hrtime.bigint();
    ctx.set('Cache-Control', 'no-store');
    ctx.set('X-Content-Type-Options', 'nosniff');
    try {
      await route(ctx);
    } catch (err) {
      logger.error({ err, path: ctx.path }, 'request failed');
      if (!ctx.res.headersSent) {
        ctx.status = 500;
        ctx.body = { code: 'INTERNAL_SERVER_ERROR', message: 'internal error' };
      }
    } finally {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      accessLog.info(
        {
          method: ctx.method,
          path: ctx.path,
          status: ctx.res.statusCode,
          ms: Math.round(ms * 10) / 10,
          // The same address the limiter and the audit see: a trusted proxy's client, not the proxy.
          ip: clientAddress ? clientAddress(ctx.req) : ctx.req.socket.remoteAddress,
        },
        'request',
      );
    }
  });
  return app;
}
