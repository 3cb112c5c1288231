// POST /api/git-credential (CONTRACT.md section 4): git's credential protocol spoken by the
// service itself, so the workspace helper is one curl that pipes git's request in and the answer
// out, with no JSON to take apart in shell.
//
// In:  a workspace session's `Authorization: Bearer`, and git's `key=value` lines (protocol,
//      host, path; anything else git sends is ignored), ended by a blank line or the body's end.
// Out: 200 text/plain `username=`, `password=` and `password_expiry_utc=` when known; 404 with an
//      empty body when no token matches (git then asks its other helpers); other statuses with
//      an empty body too, since whatever the helper prints git reads as credential lines; the
//      reason is in the `X-Xares-Error` header for the helper and for people with curl.
import type Koa from 'koa';
import { requestInfoFrom } from '../context';
import { authenticate } from '../domain/auth';
import type { ServiceDeps } from '../domain/deps';
import { getGitCredential } from '../domain/gitCredential';
import { AppError } from '../errors';
import { toHttpError, toTRPCError } from '../httpErrors';
import { GitCredentialInput, type GitCredential } from '../api/gitCredential';

export const GIT_CREDENTIAL_PATH = '/api/git-credential';

/** git sends a few hundred bytes; a body this size is not git. */
const GIT_BODY_LIMIT = 16 * 1024;

/** The fields git's request carries that choose a token; the rest (capabilities, wwwauth) is ignored. */
const WANTED = new Set(['protocol', 'host', 'path']);

/** git's `key=value` lines into the fields we use; AppError BAD_REQUEST when it is not that format. */
export function parseGitRequest(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  const lines = text.split('\n');
  for (const raw of lines) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '') break; // a blank line ends git's request
    const eq = line.indexOf('=');
    if (eq <= 0) throw new AppError('BAD_REQUEST', 'each line must be key=value, as git sends');
    const key = line.slice(0, eq);
    if (!WANTED.has(key)) continue;
    // Two hosts in one request would let a caller pick which one a check sees.
    if (Object.hasOwn(fields, key)) throw new AppError('BAD_REQUEST', `${key} is given twice`);
    fields[key] = line.slice(eq + 1);
  }
  return fields;
}

/** The answer in git's format; a value that could break a line is never written. */
export function formatGitCredential(cred: GitCredential): string {
  const lines: Array<[string, string]> = [
    ['username', cred.username],
    ['password', cred.password],
  ];
  if (cred.passwordExpiryUtc !== undefined) {
    lines.push(['password_expiry_utc', String(cred.passwordExpiryUtc)]);
  }
  for (const [, value] of lines) {
    if (/[\n\r\0]/.test(value)) {
      throw new AppError('INTERNAL_SERVER_ERROR', 'the stored credential cannot be given to git');
    }
  }
  return lines.map(([k, v]) => `${k}=${v}\n`).join('');
}

async function readText(req: Koa.Context['req']): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > GIT_BODY_LIMIT) {
    throw new AppError('PAYLOAD_TOO_LARGE', 'a git credential request is at most 16 KiB');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > GIT_BODY_LIMIT) {
      throw new AppError('PAYLOAD_TOO_LARGE', 'a git credential request is at most 16 KiB');
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function answer(deps: ServiceDeps, ctx: Koa.Context): Promise<string> {
  const request = requestInfoFrom(ctx.req);
  // The token is checked before the body is read: an anonymous caller learns nothing more.
  const caller = request.bearerToken
    ? await authenticate(deps, request.bearerToken, request)
    : null;
  if (!caller) {
    throw new AppError('UNAUTHORIZED', 'the workspace token is missing, expired or revoked');
  }
  // getGitCredential answers workspace sessions only (FORBIDDEN, audited, for any other).
  const parsed = GitCredentialInput.safeParse(parseGitRequest(await readText(ctx.req)));
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new AppError('BAD_REQUEST', first ? first.message : 'invalid git credential request');
  }
  const cred = await getGitCredential({ deps, caller }, parsed.data);
  return formatGitCredential(cred);
}

/** Answers POST /api/git-credential; anything thrown becomes a status with an empty body. */
export async function gitCredentialEndpoint(deps: ServiceDeps, ctx: Koa.Context): Promise<void> {
  if (ctx.method !== 'POST') {
    ctx.status = 405;
    ctx.set('Allow', 'POST');
    ctx.body = '';
    return;
  }
  try {
    const body = await answer(deps, ctx);
    ctx.status = 200;
    ctx.type = 'text/plain; charset=utf-8';
    ctx.body = body;
  } catch (err) {
    const error = toTRPCError(err);
    // Neither the domain's own error nor an outage: the app's guard logs it and answers 500.
    if (error.code === 'INTERNAL_SERVER_ERROR' && !(err instanceof AppError)) throw err;
    const answer = toHttpError(error);
    ctx.status = answer.status;
    ctx.set(answer.headers);
    if (error.code === 'INTERNAL_SERVER_ERROR') {
      const appError = err as AppError; // anything else was rethrown above
      deps.logger.error(
        { err: appError.cause ?? appError, path: ctx.path },
        'git credential failed',
      );
    } else {
      // Messages of AppError (and the outage's) are written for users and never hold a secret.
      ctx.set('X-Xares-Error', error.message.replace(/[^\x20-\x7e]/g, '?').slice(0, 200));
    }
    ctx.type = 'text/plain; charset=utf-8';
    ctx.body = '';
  }
}
