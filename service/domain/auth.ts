// Sign-in, sign-out and session resolution on top of the accounts module. Failed sign-ins are
// rate limited per username and address (429 with Retry-After) and audited; the answer never
// says whether the username exists.
import { AppError } from '../errors';
import type { LoginResult, Me } from '../routers/schemas';
import {
  assertLoginAllowed,
  clearLoginFailures,
  createSession,
  findUserForLogin,
  recordAudit,
  recordLoginFailure,
  resolveSession,
  revokeSession,
  verifyAgainstDummy,
  verifyPassword,
} from '../store';
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

export async function login(
  deps: ServiceDeps,
  input: { username: string; password: string },
  origin: RequestOrigin,
): Promise<LoginResult> {
  const db = deps.store.db;
  const attempt = { username: input.username, ipAddress: origin.ipAddress };
  await assertLoginAllowed(db, attempt);
  const user = await findUserForLogin(db, input.username);
  // Unknown and disabled users cost the same scrypt work as a wrong password: no timing oracle.
  const ok =
    user && user.disabled === 0
      ? await verifyPassword(input.password, user.password_hash)
      : await verifyAgainstDummy(input.password);
  if (!user || !ok) {
    await recordLoginFailure(db, attempt);
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
  await clearLoginFailures(db, input.username);
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
