// The AI gateway: `/ai/{provider}/…` forwarded to the provider with the user's real key, the
// answer streamed back as it arrives (piped, never buffered; status and error bodies as the
// provider sent them). Only a workspace's gateway token opens it. Every call is audited as
// `ai_request`: the row is written before the user's key is used (no row, no call) and
// completed with the status and the token usage the provider reported, counted in ai_usage too.
// Per call the gateway asks the database for that one row only: the session, the key choice and
// the decrypted key come from short-lived caches that this process's own writes forget at once.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { ServiceDeps } from '../domain/deps';
import { AppError, HTTP_STATUS } from '../errors';
import { resolveSession, type ResolvedSession } from '../accounts/sessions';
import type { CredentialInfo } from '../store/credentials';
import { downstreamResponseHeaders, gatewayTokenOf, upstreamRequestHeaders } from './auth';
import { GatewayKeys } from './keys';
import { AiRequestLog } from './requestLog';
import { type GatewayRoute, parseGatewayPath, queryWithoutKey, upstreamUrl } from './routes';
import {
  createUpstreamAgents,
  ForbiddenAddressError,
  forbiddenLiteral,
  type Resolver,
  type UpstreamAgents,
} from './upstream';
import { requestModel, type Usage, UsageMeter } from './usage';

export type GatewayDeps = Pick<ServiceDeps, 'config' | 'logger' | 'store' | 'keyring'>;

export interface GatewayOptions {
  /** The client's address when CREDENTIAL_TRUSTED_PROXIES names the peer (http/clientAddress.ts). */
  clientAddress?: ((req: IncomingMessage) => string | null) | undefined;
  /** Tests only: a resolver standing in for DNS (a provider name that resolves to a forbidden address). */
  resolve?: Resolver;
}

/** The gateway's own refusals, in the `{error: {message}}` shape every provider SDK reads. */
function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ error: { type: 'gateway_error', code, message } });
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    ...(status === 429 ? { 'retry-after': '1' } : {}),
    ...(status === 413 ? { connection: 'close' } : {}),
  });
  res.end(body);
}

function sendAppError(res: ServerResponse, err: AppError): void {
  sendError(res, HTTP_STATUS[err.code], err.code, err.message);
}

/** The request body, bounded by the AI body limit (413 beyond it). */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const tooLarge = () =>
    new AppError('PAYLOAD_TOO_LARGE', `the request body is larger than ${limit} bytes`);
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function baseUrlOf(deps: GatewayDeps, route: GatewayRoute, key: CredentialInfo): string {
  const p = deps.config.providers;
  switch (route.provider) {
    case 'openai':
      return p.openaiBaseUrl;
    case 'anthropic':
      return p.anthropicBaseUrl;
    case 'google':
      return p.googleAiBaseUrl;
    case 'custom':
      if (!key.url) {
        throw new AppError('NOT_FOUND', `the custom key "${key.name}" has no URL to forward to`);
      }
      return key.url;
  }
}

interface Forwarded {
  status: number;
  usage: Usage;
  /** Why the gateway answered itself instead of the provider (for the audit row). */
  refusal?: string;
}

class UpstreamTimeout extends Error {}

/** Sends the call upstream and pipes the answer back; resolves once the exchange is over. */
function forward(
  req: IncomingMessage,
  res: ServerResponse,
  call: {
    target: URL;
    headers: http.OutgoingHttpHeaders;
    body: Buffer;
    model: string | null;
    idleTimeoutMs: number;
    agents: UpstreamAgents;
  },
): Promise<Forwarded> {
  return new Promise((resolve) => {
    const { target, model } = call;
    if (res.destroyed) {
      // The caller left while the call was being prepared: nothing is sent upstream.
      resolve({ status: 499, usage: { model, inputTokens: null, outputTokens: null } });
      return;
    }
    const lib = target.protocol === 'https:' ? https : http;
    const upstream = lib.request(target, {
      method: req.method,
      headers: call.headers,
      agent: call.agents[target.protocol as 'http:' | 'https:'],
    });
    let status = 0;
    let meter: UsageMeter | null = null;
    let settled = false;
    const settle = (finalStatus: number, refusal?: string) => {
      if (settled) return;
      settled = true;
      const usage = meter?.finish() ?? { model, inputTokens: null, outputTokens: null };
      resolve({ status: finalStatus, usage, refusal });
    };
    // Small writes (a header block, one event) go out at once, not after Nagle's delay.
    upstream.once('socket', (socket) => socket.setNoDelay(true));
    // An idle timeout, not a total one: a stream that keeps sending is never cut.
    upstream.setTimeout(call.idleTimeoutMs, () => upstream.destroy(new UpstreamTimeout()));
    upstream.once('response', (answer) => {
      status = answer.statusCode ?? 502;
      const m = new UsageMeter(answer.headers['content-type'], model);
      meter = m;
      res.writeHead(status, downstreamResponseHeaders(answer.headers));
      // The headers go out with the first chunk when it came with them (one write, not two),
      // else right after this turn: a client waiting for a slow first token sees the status.
      let bodySeen = false;
      setImmediate(() => {
        if (!bodySeen && !res.destroyed) res.flushHeaders();
      });
      // The only per-chunk work besides the copy: a byte search for usage events.
      answer.on('data', (chunk: Buffer) => {
        bodySeen = true;
        m.feed(chunk);
      });
      answer.once('end', () => settle(status));
      answer.once('error', () => {
        res.destroy();
        settle(status);
      });
      // pipe() pauses the provider's answer while the caller's socket is full (backpressure).
      answer.pipe(res);
    });
    upstream.on('error', (err) => {
      if (!res.headersSent) {
        const timedOut = err instanceof UpstreamTimeout;
        const forbidden = err instanceof ForbiddenAddressError;
        const code = timedOut ? 504 : 502;
        const message = timedOut
          ? 'the provider did not answer in time'
          : forbidden
            ? `the provider's address is not allowed: ${err.message}`
            : 'the provider could not be reached';
        sendError(
          res,
          code,
          timedOut ? 'UPSTREAM_TIMEOUT' : forbidden ? 'UPSTREAM_FORBIDDEN' : 'UPSTREAM_UNREACHABLE',
          message,
        );
        settle(code, message);
      } else {
        // Mid-stream: the caller sees the stream break, as it would talking to the provider.
        res.destroy();
        settle(status);
      }
    });
    // A caller that goes away cancels the provider's work (and its bill).
    res.once('close', () => {
      if (!res.writableFinished) {
        upstream.destroy();
        settle(status || 499);
      }
    });
    upstream.end(call.body);
  });
}

/** The audit row's words for the end of a call. */
function outcomeDetail(f: Forwarded): string {
  const { usage, status } = f;
  const tokens =
    usage.inputTokens !== null || usage.outputTokens !== null
      ? `, ${usage.inputTokens ?? '?'} input and ${usage.outputTokens ?? '?'} output tokens`
      : '';
  const refusal = f.refusal ? ` (${f.refusal})` : '';
  return `model ${usage.model ?? 'unknown'}, HTTP ${status}${tokens}${refusal}`;
}

/** Creates the gateway's request handler (Node request/response; it always answers). */
export function createGateway(deps: GatewayDeps, options: GatewayOptions = {}) {
  const inFlight = new Map<string, number>();
  const limits = deps.config.gateway;
  const db = deps.store.db;
  const keys = new GatewayKeys(db, deps.keyring);
  const log = new AiRequestLog(db, deps.logger);
  const agents = createUpstreamAgents(options.resolve);

  async function authorize(req: IncomingMessage, route: GatewayRoute): Promise<ResolvedSession> {
    const token = gatewayTokenOf(req.headers, route.query);
    // Cached for SESSION_CACHE_MS and forgotten at once when this process revokes it.
    const resolved = token
      ? await resolveSession(db, token, deps.config.sessionTimeoutSeconds)
      : undefined;
    // Only a gateway token: a user's or a workspace's session cannot spend AI keys this way.
    if (!resolved || resolved.session.kind !== 'gateway' || !resolved.session.workspace_id) {
      throw new AppError(
        'UNAUTHORIZED',
        "the AI gateway needs a workspace's gateway token (injected as the provider's API key)",
      );
    }
    return resolved;
  }

  async function serve(
    req: IncomingMessage,
    res: ServerResponse,
    route: GatewayRoute,
    caller: ResolvedSession,
  ): Promise<void> {
    const userId = caller.user.id;
    const workspaceId = caller.session.workspace_id;
    const origin = {
      ipAddress: options.clientAddress
        ? options.clientAddress(req)
        : (req.socket.remoteAddress ?? null),
      userAgent: (req.headers['user-agent'] ?? '').slice(0, 512) || null,
    };
    const body = await readBody(req, limits.bodyLimitBytes);
    const model = requestModel(route.rest, body, req.headers['content-type']);
    const key = await keys.choose(userId, route);
    const target = upstreamUrl(
      baseUrlOf(deps, route, key),
      route.rest,
      queryWithoutKey(route.query),
    );
    // Fail closed: the key is used only once the call's audit row is written.
    const auditId = await log.begin({
      userId,
      username: caller.user.username,
      action: 'ai_request',
      outcome: 'success',
      credentialId: key.id,
      credentialType: key.type,
      provider: key.provider,
      name: key.name,
      workspaceId,
      ...origin,
      detail: `model ${model ?? 'unknown'}: sent to the provider, no answer recorded yet`,
    });
    const finish = (f: Forwarded) =>
      log.finish(
        auditId,
        {
          outcome: f.status > 0 && f.status < 400 ? 'success' : 'failure',
          detail: outcomeDetail(f),
        },
        {
          userId,
          workspaceId,
          credentialId: key.id,
          provider: route.provider,
          name: key.name,
          model: f.usage.model,
          status: f.status,
          inputTokens: f.usage.inputTokens,
          outputTokens: f.usage.outputTokens,
        },
      );
    const noUsage = { model, inputTokens: null, outputTokens: null };
    const literal = forbiddenLiteral(target);
    if (literal) {
      const message = `the provider's address is not allowed: it is ${literal}`;
      sendError(res, 502, 'UPSTREAM_FORBIDDEN', message);
      await finish({ status: 502, usage: noUsage, refusal: message });
      return;
    }
    let secret: string;
    try {
      secret = await keys.secretOf(key);
    } catch (err) {
      const status = err instanceof AppError ? HTTP_STATUS[err.code] : 500;
      await finish({ status, usage: noUsage, refusal: 'the key could not be read' });
      throw err;
    }
    const forwarded = await forward(req, res, {
      target,
      headers: upstreamRequestHeaders(req.headers, route.provider, secret, body.length),
      body,
      model,
      idleTimeoutMs: limits.idleTimeoutMs,
      agents,
    });
    // The answer is out (piped to its end or broken off); the concurrency slot is held until the
    // row is completed, so a shutdown waits for it.
    await finish(forwarded);
  }

  return async function handleGateway(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let userId: string | null = null;
    req.socket.setNoDelay(true);
    try {
      const route = parseGatewayPath(req.url ?? '/');
      const caller = await authorize(req, route);
      userId = caller.user.id;
      const running = inFlight.get(userId) ?? 0;
      if (running >= limits.concurrencyPerUser) {
        userId = null;
        throw new AppError(
          'TOO_MANY_REQUESTS',
          `at most ${limits.concurrencyPerUser} AI requests of one user at a time`,
        );
      }
      inFlight.set(userId, running + 1);
      await serve(req, res, route, caller);
    } catch (err) {
      if (err instanceof AppError) sendAppError(res, err);
      else {
        deps.logger.error({ err: (err as Error).message }, 'AI gateway request failed');
        sendError(res, 500, 'INTERNAL_SERVER_ERROR', 'internal error');
      }
    } finally {
      if (userId !== null) {
        const left = (inFlight.get(userId) ?? 1) - 1;
        if (left > 0) inFlight.set(userId, left);
        else inFlight.delete(userId);
      }
    }
  };
}
