// The AI gateway: `/ai/{provider}/…` forwarded to the provider with the user's real key, the
// answer streamed back as it arrives (piped, never buffered; status and error bodies as the
// provider sent them). Only a workspace's gateway token opens it; every call is audited as
// `ai_request` and counted in ai_usage with the token usage the provider reported.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { ServiceDeps } from '../domain/deps';
import { AppError, HTTP_STATUS } from '../errors';
import { findCredentialByName, findCredentialForUser, listCredentials } from '../store/credentials';
import { recordAiUsage } from '../store/aiUsage';
import { recordAudit } from '../audit/audit';
import { resolveSession, type ResolvedSession } from '../accounts/sessions';
import { revealSecret } from '../crypto/secrets';
import type { CredentialRow } from '../store/schema';
import { downstreamResponseHeaders, gatewayTokenOf, upstreamRequestHeaders } from './auth';
import { type GatewayRoute, parseGatewayPath, queryWithoutKey, upstreamUrl } from './routes';
import { requestModel, type Usage, UsageMeter } from './usage';
import { inTransaction } from '../store/retry';

export type GatewayDeps = Pick<ServiceDeps, 'config' | 'logger' | 'store' | 'keyring'>;

/**
 * Connections to providers are kept open between calls: a TLS handshake per call costs TTFB. An
 * idle one is dropped after 4 s, before a server's usual 5 s keep-alive ends it: a call sent on a
 * socket the server is closing at that moment would fail for nothing.
 */
const agents = {
  'http:': new http.Agent({ keepAlive: true, timeout: 4000 }),
  'https:': new https.Agent({ keepAlive: true, timeout: 4000 }),
};

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

/** The user's key for the route: the custom key by name, else the provider's `default` (or first). */
async function findKey(
  deps: GatewayDeps,
  userId: string,
  route: GatewayRoute,
): Promise<CredentialRow> {
  const db = deps.store.db;
  let row: CredentialRow | undefined;
  if (route.provider === 'custom') {
    row = await findCredentialByName(db, userId, {
      type: 'ai_token',
      provider: 'custom',
      name: route.customName ?? '',
    });
  } else {
    const rows = await listCredentials(db, userId, { type: 'ai_token', provider: route.provider });
    const chosen = rows.find((r) => r.name === 'default') ?? rows[0];
    if (chosen) row = await findCredentialForUser(db, userId, chosen.id);
  }
  if (!row) {
    const which = route.customName ? `custom key "${route.customName}"` : `${route.provider} key`;
    throw new AppError('NOT_FOUND', `no ${which} is saved for this user`);
  }
  return row;
}

function baseUrlOf(deps: GatewayDeps, route: GatewayRoute, row: CredentialRow): string {
  const p = deps.config.providers;
  switch (route.provider) {
    case 'openai':
      return p.openaiBaseUrl;
    case 'anthropic':
      return p.anthropicBaseUrl;
    case 'google':
      return p.googleAiBaseUrl;
    case 'custom':
      if (!row.url) {
        throw new AppError('NOT_FOUND', `the custom key "${row.name}" has no URL to forward to`);
      }
      return row.url;
  }
}

interface Forwarded {
  status: number;
  usage: Usage;
}

class UpstreamTimeout extends Error {}

/** Sends the call upstream and pipes the answer back; resolves once the exchange is over. */
function forward(
  req: IncomingMessage,
  res: ServerResponse,
  target: URL,
  headers: http.OutgoingHttpHeaders,
  body: Buffer,
  model: string | null,
  idleTimeoutMs: number,
): Promise<Forwarded> {
  return new Promise((resolve) => {
    const lib = target.protocol === 'https:' ? https : http;
    const upstream = lib.request(target, {
      method: req.method,
      headers,
      agent: agents[target.protocol as 'http:' | 'https:'],
    });
    let status = 0;
    let meter: UsageMeter | null = null;
    let settled = false;
    const settle = (finalStatus: number) => {
      if (settled) return;
      settled = true;
      const usage = meter?.finish() ?? { model, inputTokens: null, outputTokens: null };
      resolve({ status: finalStatus, usage });
    };
    // An idle timeout, not a total one: a stream that keeps sending is never cut.
    upstream.setTimeout(idleTimeoutMs, () => upstream.destroy(new UpstreamTimeout()));
    upstream.on('response', (answer) => {
      status = answer.statusCode ?? 502;
      const m = new UsageMeter(answer.headers['content-type'], model);
      meter = m;
      res.writeHead(status, downstreamResponseHeaders(answer.headers));
      // The headers go out now: a client waiting for a slow first token sees the status at once.
      res.flushHeaders();
      answer.on('data', (chunk: Buffer) => m.feed(chunk));
      answer.on('end', () => settle(status));
      answer.on('error', () => {
        res.destroy();
        settle(status);
      });
      answer.pipe(res);
    });
    upstream.on('error', (err) => {
      if (!res.headersSent) {
        const timedOut = err instanceof UpstreamTimeout;
        const code = timedOut ? 504 : 502;
        sendError(
          res,
          code,
          timedOut ? 'UPSTREAM_TIMEOUT' : 'UPSTREAM_UNREACHABLE',
          timedOut ? 'the provider did not answer in time' : 'the provider could not be reached',
        );
        settle(code);
      } else {
        // Mid-stream: the caller sees the stream break, as it would talking to the provider.
        res.destroy();
        settle(status);
      }
    });
    // A caller that goes away cancels the provider's work (and its bill).
    res.on('close', () => {
      if (!res.writableFinished) {
        upstream.destroy();
        settle(status || 499);
      }
    });
    upstream.end(body);
  });
}

/** Creates the gateway's request handler (Node request/response; it always answers). */
export function createGateway(deps: GatewayDeps) {
  const inFlight = new Map<string, number>();
  const limits = deps.config.gateway;

  async function authorize(req: IncomingMessage, route: GatewayRoute): Promise<ResolvedSession> {
    const token = gatewayTokenOf(req.headers, route.query);
    const resolved = token
      ? await resolveSession(deps.store.db, token, deps.config.sessionTimeoutSeconds)
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
    const db = deps.store.db;
    const userId = caller.user.id;
    const workspaceId = caller.session.workspace_id;
    const origin = {
      ipAddress: req.socket.remoteAddress ?? null,
      userAgent: (req.headers['user-agent'] ?? '').slice(0, 512) || null,
    };
    const body = await readBody(req, limits.bodyLimitBytes);
    const model = requestModel(route.rest, body, req.headers['content-type']);
    const row = await findKey(deps, userId, route);
    const target = upstreamUrl(
      baseUrlOf(deps, route, row),
      route.rest,
      queryWithoutKey(route.query),
    );
    const key = await revealSecret(db, deps.keyring, row, {
      userId,
      username: caller.user.username,
      action: 'read',
      workspaceId,
      ...origin,
      detail: `for an AI request${model ? ` (model ${model})` : ''}`,
    });
    const headers = upstreamRequestHeaders(req.headers, route.provider, key, body.length);
    const { status, usage } = await forward(
      req,
      res,
      target,
      headers,
      body,
      model,
      limits.idleTimeoutMs,
    );
    const tokens =
      usage.inputTokens !== null || usage.outputTokens !== null
        ? `, ${usage.inputTokens ?? '?'} input and ${usage.outputTokens ?? '?'} output tokens`
        : '';
    try {
      // One transaction: one commit for both rows (a call's cost on SQLite is its commits).
      await inTransaction(db, async (tx) => {
        await recordAiUsage(tx, {
          userId,
          workspaceId,
          credentialId: row.id,
          provider: route.provider,
          name: row.name,
          model: usage.model,
          status,
          inputTokens: usage.inputTokens,
          outputTokens: usage.outputTokens,
        });
        await recordAudit(tx, {
          userId,
          username: caller.user.username,
          action: 'ai_request',
          outcome: status > 0 && status < 400 ? 'success' : 'failure',
          credentialId: row.id,
          credentialType: row.type,
          provider: row.provider,
          name: row.name,
          workspaceId,
          ...origin,
          detail: `model ${usage.model ?? 'unknown'}, HTTP ${status}${tokens}`,
        });
      });
    } catch (err) {
      // The answer is already out; a lost usage row is logged, never turned into an error.
      deps.logger.error({ err: (err as Error).message }, 'recording an AI request failed');
    }
  }

  return async function handleGateway(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let userId: string | null = null;
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
