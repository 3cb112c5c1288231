// Sign-in, sign-out and session resolution on top of the accounts module. Every sign-in first
// reserves an attempt with the limiter (accounts/loginLimiter.ts: 429 with Retry-After, audited
// as denied), so no more passwords are checked than the limits allow; the answer never says
// whether the username exists.
import { AppError } from '../errors';
import type { LoginResult, Me } from '../api/auth';
import { createSession, resolveSession, revokeSession } from '../accounts/sessions';
import { findUserForLogin } from '../accounts/users';
import {
  type LoginReservation,
  recordLoginFailure,
  recordLoginSuccess,
  releaseLoginAttempt,
  reserveLoginAttempt,
} from '../accounts/loginLimiter';
import { recordAudit } from '../audit/audit';
import { verifyAgainstDummy, verifyPassword } from '../accounts/passwords';
import { audit, iso } from './common';
import type { Caller, DomainContext, RequestOrigin, ServiceDeps } from './deps';

/** Resolves a bearer token into its caller, or null when it is unknown, expired or revoked. */
export async function authenticate(
  deps: ServiceDeps,
  token: string,
  origin: RequestOrigin,
): Promise<Caller | null> {
  const resolved = await resolveSession(deps.store.db, token, deps.config.sessionTimeoutSeconds);
  // A gateway token opens the AI gateway and nothing else: to every procedure it is no session.
  if (!resolved || resolved.session.kind === 'gateway') return null;
  return {
    userId: resolved.user.id,
    username: resolved.user.username,
    role: resolved.user.role,
    sessionKind: resolved.session.kind,
    sessionId: resolved.session.id,
    workspaceId: resolved.session.workspace_id,
    ipAddress: origin.ipAddress,
    userAgent: origin.userAgent,
  };
}

/** Reserves an attempt; a refusal is audited as denied before the 429 goes out. */
async function reserve(
  deps: ServiceDeps,
  username: string,
  origin: RequestOrigin,
): Promise<LoginReservation> {
  try {
    return await reserveLoginAttempt(deps.store.db, { username, ipAddress: origin.ipAddress });
  } catch (err) {
    if (err instanceof AppError && err.code === 'TOO_MANY_REQUESTS') {
      await recordAudit(deps.store.db, {
        userId: null,
        username,
        action: 'login',
        outcome: 'denied',
        ipAddress: origin.ipAddress,
        userAgent: origin.userAgent,
        detail: `too many failed sign-ins; blocked for ${err.retryAfterSeconds ?? 0} s`,
      });
    }
    throw err;
  }
}

export async function login(
  deps: ServiceDeps,
  input: { username: string; password: string },
  origin: RequestOrigin,
): Promise<LoginResult> {
  const db = deps.store.db;
  const reservation = await reserve(deps, input.username, origin);
  let user: Awaited<ReturnType<typeof findUserForLogin>>;
  let ok: boolean;
  try {
    user = await findUserForLogin(db, input.username);
    // Unknown and disabled users cost the same scrypt work as a wrong password: no timing oracle.
    ok =
      user && user.disabled === 0
        ? await verifyPassword(input.password, user.password_hash)
        : await verifyAgainstDummy(input.password);
  } catch (err) {
    // An outage is not a wrong password: the attempt does not count against the user.
    await releaseLoginAttempt(db, reservation).catch(() => undefined);
    throw err;
  }
  if (!user || !ok) {
    await recordLoginFailure(db, reservation);
    await recordAudit(db, {
      userId: user?.id ?? null,
      username: input.username,
      action: 'login',
      outcome: 'failure',
      ipAddress: origin.ipAddress,
      userAgent: origin.userAgent,
      detail: 'wrong username or password',
    });
    throw new AppError('UNAUTHORIZED', 'wrong username or password');
  }
  await recordLoginSuccess(db, reservation);
  const { token, session } = await createSession(db, {
    userId: user.id,
    kind: 'user',
    timeoutSeconds: deps.config.sessionTimeoutSeconds,
    ipAddress: origin.ipAddress,
    userAgent: origin.userAgent,
  });
  await recordAudit(db, {
    userId: user.id,
    username: user.username,
    action: 'login',
    outcome: 'success',
    ipAddress: origin.ipAddress,
    userAgent: origin.userAgent,
  });
  return {
    token,
    expiresAt: iso(session.expires_at),
    user: { id: user.id, username: user.username, role: user.role },
  };
}

export async function logout(ctx: DomainContext): Promise<{ ok: true }> {
  await revokeSession(ctx.deps.store.db, ctx.caller.userId, ctx.caller.sessionId);
  await audit(ctx, { action: 'logout', outcome: 'success' });
  return { ok: true };
}

export function me(ctx: DomainContext): Me {
  const c = ctx.caller;
  return {
    id: c.userId,
    username: c.username,
    role: c.role,
    sessionKind: c.sessionKind,
    workspaceId: c.workspaceId,
  };
}
