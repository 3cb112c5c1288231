// Sessions: 256-bit random bearer tokens, stored only as their SHA-256; user sessions slide
// (expire after CREDENTIAL_SESSION_TIMEOUT seconds unused), workspace sessions live with their
// container until revoked.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Executor } from '../store/database';
import { ReadCache } from '../store/readCache';
import type { Role, SessionKind, SessionRow } from '../store/schema';
import {
  deleteSessionRows,
  findSessionExpiry,
  findSessionIdsEndedBefore,
  findSessionWithUserByHash,
  insertSession,
  listExpiredUserSessionRows,
  revokeGatewaySessionRowsExcept,
  revokeSessionRow,
  revokeSessionRowsOfUser,
  revokeSessionRowsOfWorkspace,
  setSessionRevokedAt,
  touchSession,
} from '../store/sessions';

/**
 * Workspace tokens are used by git in the background, not by a person, so the user timeout
 * would cut them off mid-work; they slide over a longer window and are revoked with the container.
 */
export const WORKSPACE_SESSION_TTL_SECONDS = 30 * 24 * 3600;

/** Writing last_used_at on every request would turn reads into writes; once a second is enough. */
const TOUCH_INTERVAL_MS = 1000;

/**
 * How long a process trusts a session it looked up without asking the database again. Every
 * request carries a token, and the lookup would be a database round trip on every one of them.
 * Revocations made in this process (logout, disable, a container cleared or removed) take effect
 * at once; one made by another process (the `user disable` command, another replica) is seen
 * within this time. Expiry is checked on every request, cached or not. The `user disable`
 * command waits this long before it says the sessions are gone.
 */
export const SESSION_CACHE_MS = TOUCH_INTERVAL_MS;

const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export interface NewSession {
  userId: string;
  kind: SessionKind;
  /** The container a workspace session is bound to (required for kind 'workspace'). */
  workspaceId?: string | null;
  /** CREDENTIAL_SESSION_TIMEOUT; ignored for workspace sessions. */
  timeoutSeconds: number;
  ipAddress?: string | null;
  userAgent?: string | null;
  now?: number;
}

/** Creates a session; the token is returned once and never stored. */
export async function createSession(
  db: Executor,
  input: NewSession,
): Promise<{ token: string; session: SessionRow }> {
  if (input.kind !== 'user' && !input.workspaceId) {
    throw new Error('a workspace or gateway session needs the workspace id it is bound to');
  }
  const token = randomBytes(32).toString('base64url');
  const now = input.now ?? Date.now();
  const session: SessionRow = {
    id: randomUUID(),
    user_id: input.userId,
    token_hash: hashToken(token),
    kind: input.kind,
    workspace_id: input.kind !== 'user' ? (input.workspaceId ?? null) : null,
    created_at: now,
    last_used_at: now,
    expires_at: now + ttlSeconds(input.kind, input.timeoutSeconds) * 1000,
    revoked_at: null,
    ip_address: input.ipAddress?.slice(0, 64) ?? null,
    user_agent: input.userAgent?.slice(0, 512) ?? null,
  };
  await insertSession(db, session);
  return { token, session };
}

function ttlSeconds(kind: SessionKind, timeoutSeconds: number): number {
  return kind === 'user' ? timeoutSeconds : WORKSPACE_SESSION_TTL_SECONDS;
}

export interface ResolvedSession {
  session: SessionRow;
  user: { id: string; username: string; role: Role };
}

/** Live sessions looked up in the last SESSION_CACHE_MS, by token hash (never by token). */
const sessionCache = new ReadCache<ResolvedSession>({
  ttlMs: SESSION_CACHE_MS,
  maxEntries: 10_000,
});

/** Forgets the cached sessions that match, around a revocation (see ReadCache.around). */
function revoking<T>(
  db: Executor,
  match: (session: SessionRow) => boolean,
  update: () => Promise<T>,
): Promise<T> {
  return sessionCache.around(() => sessionCache.forget(db, (r) => match(r.session)), update);
}

/**
 * The live session of a token, with its user, sliding its expiry; undefined when the token is
 * unknown, revoked, expired, or its user is disabled. A session seen in the last
 * SESSION_CACHE_MS is answered from memory (see there); its expiry is still checked.
 */
export async function resolveSession(
  db: Executor,
  token: string,
  timeoutSeconds: number,
  now: number = Date.now(),
): Promise<ResolvedSession | undefined> {
  if (!TOKEN_PATTERN.test(token)) return undefined;
  const hash = hashToken(token);
  return sessionCache.read(
    db,
    hash,
    async () => frozen(await lookUpSession(db, hash, timeoutSeconds, now)),
    (cached) => cached.session.expires_at > now,
  );
}

/** A cached answer is shared by every request of the session: nobody may change it. */
function frozen(resolved: ResolvedSession | undefined): ResolvedSession | undefined {
  if (!resolved) return undefined;
  Object.freeze(resolved.session);
  Object.freeze(resolved.user);
  return Object.freeze(resolved);
}

async function lookUpSession(
  db: Executor,
  hash: string,
  timeoutSeconds: number,
  now: number,
): Promise<ResolvedSession | undefined> {
  const row = await findSessionWithUserByHash(db, hash);
  if (!row || row.revoked_at !== null || row.expires_at <= now || row.disabled !== 0) {
    return undefined;
  }
  const { username, role, disabled: _disabled, ...session } = row;
  if (now - session.last_used_at >= TOUCH_INTERVAL_MS) {
    const expiresAt = now + ttlSeconds(session.kind, timeoutSeconds) * 1000;
    // Guarded (in the store) by revoked_at and expiry: a concurrent revoke or expiry stays.
    await touchSession(db, session.id, now, expiresAt);
    session.last_used_at = now;
    session.expires_at = expiresAt;
  }
  return { session, user: { id: session.user_id, username, role } };
}

/** Revokes one session of a user; true if it was live. */
export async function revokeSession(
  db: Executor,
  userId: string,
  sessionId: string,
  now: number = Date.now(),
): Promise<boolean> {
  const revoked = await revoking(
    db,
    (s) => s.id === sessionId,
    () => revokeSessionRow(db, userId, sessionId, now),
  );
  return revoked > 0;
}

/** Revokes every session of a user (disable, clear-all). Returns how many were live. */
export async function revokeUserSessions(
  db: Executor,
  userId: string,
  now: number = Date.now(),
): Promise<number> {
  return revoking(
    db,
    (s) => s.user_id === userId,
    () => revokeSessionRowsOfUser(db, userId, now),
  );
}

/**
 * Revokes the sessions bound to a container, its gateway token included (removed or cleared).
 * Returns how many were live.
 */
export async function revokeWorkspaceSessions(
  db: Executor,
  workspaceId: string,
  now: number = Date.now(),
): Promise<number> {
  return revoking(
    db,
    (s) => s.workspace_id === workspaceId,
    () => revokeSessionRowsOfWorkspace(db, workspaceId, now),
  );
}

/**
 * User sessions that ran out unused and were not revoked: the clear-on-timeout worker clears
 * their workspaces, then calls markSessionExpiredHandled so each is handled once.
 */
export async function listExpiredUserSessions(
  db: Executor,
  now: number = Date.now(),
  limit = 100,
): Promise<SessionRow[]> {
  return listExpiredUserSessionRows(db, now, Math.min(Math.max(limit, 1), 1000));
}

/** Marks an expired session as handled (revoked at its expiry time). */
export async function markSessionExpiredHandled(db: Executor, sessionId: string): Promise<void> {
  const expiresAt = await findSessionExpiry(db, sessionId);
  if (expiresAt === undefined) return;
  await revoking(
    db,
    (s) => s.id === sessionId,
    () => setSessionRevokedAt(db, sessionId, expiresAt),
  );
}

/** Deletes sessions revoked or expired before `before`, in one bounded batch; returns the count. */
export async function purgeSessions(
  db: Executor,
  before: number,
  batchSize = 1000,
): Promise<number> {
  const ids = await findSessionIdsEndedBefore(db, before, batchSize);
  if (ids.length === 0) return 0;
  return deleteSessionRows(db, ids);
}

/** Revokes a container's gateway tokens but `keepId` (a new injection replaced them). */
export async function revokeOtherGatewaySessions(
  db: Executor,
  workspaceId: string,
  keepId: string,
  now: number = Date.now(),
): Promise<number> {
  return revoking(
    db,
    (s) => s.kind === 'gateway' && s.workspace_id === workspaceId && s.id !== keepId,
    () => revokeGatewaySessionRowsExcept(db, workspaceId, keepId, now),
  );
}
