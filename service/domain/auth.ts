// Sign-in, sign-out and session resolution on top of the accounts module.
import { AppError } from '../errors';
import type { LoginResult, Me } from '../routers/schemas';
import type { Caller, DomainContext, RequestOrigin, ServiceDeps } from './deps';

/** Resolves a bearer token into its caller, or null when it is unknown, expired or revoked. */
export async function authenticate(
  _deps: ServiceDeps,
  _token: string,
  _origin: RequestOrigin,
): Promise<Caller | null> {
  return null;
}

export async function login(
  _deps: ServiceDeps,
  _input: { username: string; password: string },
  _origin: RequestOrigin,
): Promise<LoginResult> {
  throw new AppError('SERVICE_UNAVAILABLE', 'sign-in is not available yet');
}

export async function logout(_ctx: DomainContext): Promise<{ ok: true }> {
  throw new AppError('SERVICE_UNAVAILABLE', 'sign-out is not available yet');
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
