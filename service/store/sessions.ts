// The sessions table: bearer sessions stored by their token's hash (service/accounts/sessions.ts
// makes tokens, decides expiry and sliding, and keeps the cache of live sessions). Every
// statement on the table. Revoke through accounts/sessions.ts, which forgets the cached copies of
// what it revokes: a revocation made here directly is seen only when the cached copy runs out.
import { type CompiledQuery, createQueryId } from 'kysely';
import type { Executor } from './database';
import { type DialectName, dialectOf } from './dialect';
import type { Database, SessionRow } from './schema';

export async function insertSession(db: Executor, row: SessionRow): Promise<void> {
  await db.insertInto('sessions').values(row).execute();
}

function sessionByHash(db: Executor, tokenHash: string) {
  return db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .selectAll('sessions')
    .select(['users.username', 'users.role', 'users.disabled'])
    .where('sessions.token_hash', '=', tokenHash);
}

/** A session's row with its user's name, role and disabled flag. */
export type SessionWithUserRow = Awaited<
  ReturnType<ReturnType<typeof sessionByHash>['executeTakeFirstOrThrow']>
>;

/**
 * The lookup runs on every request: its SQL is compiled once per dialect, since building and
 * compiling the query with Kysely cost more than running it.
 */
const byHashSql = new Map<DialectName, CompiledQuery<SessionWithUserRow>>();

/** The session with this token hash and its user, live or not; undefined when there is none. */
export async function findSessionWithUserByHash(
  db: Executor,
  tokenHash: string,
): Promise<SessionWithUserRow | undefined> {
  const dialect = dialectOf<Database>(db);
  let compiled = byHashSql.get(dialect);
  if (!compiled) {
    compiled = sessionByHash(db, '').compile();
    byHashSql.set(dialect, compiled);
  }
  const { rows } = await db.executeQuery<SessionWithUserRow>({
    ...compiled,
    queryId: createQueryId(),
    parameters: [tokenHash],
  });
  return rows[0];
}

/**
 * Slides a session: sets last use and expiry, guarded by revoked_at and expiry so a concurrent
 * revoke or expiry is not undone.
 */
export async function touchSession(
  db: Executor,
  sessionId: string,
  now: number,
  expiresAt: number,
): Promise<void> {
  await db
    .updateTable('sessions')
    .set({ last_used_at: now, expires_at: expiresAt })
    .where('id', '=', sessionId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .execute();
}

/** Revokes one unrevoked session of a user; returns how many rows changed (0 or 1). */
export async function revokeSessionRow(
  db: Executor,
  userId: string,
  sessionId: string,
  now: number,
): Promise<number> {
  const result = await db
    .updateTable('sessions')
    .set({ revoked_at: now })
    .where('id', '=', sessionId)
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Revokes every unrevoked session of a user; returns how many. */
export async function revokeSessionRowsOfUser(
  db: Executor,
  userId: string,
  now: number,
): Promise<number> {
  const result = await db
    .updateTable('sessions')
    .set({ revoked_at: now })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Revokes the unrevoked workspace and gateway sessions bound to a container; returns how many. */
export async function revokeSessionRowsOfWorkspace(
  db: Executor,
  workspaceId: string,
  now: number,
): Promise<number> {
  const result = await db
    .updateTable('sessions')
    .set({ revoked_at: now })
    .where('kind', 'in', ['workspace', 'gateway'])
    .where('workspace_id', '=', workspaceId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Revokes a container's unrevoked gateway sessions but `keepId`; returns how many. */
export async function revokeGatewaySessionRowsExcept(
  db: Executor,
  workspaceId: string,
  keepId: string,
  now: number,
): Promise<number> {
  const result = await db
    .updateTable('sessions')
    .set({ revoked_at: now })
    .where('kind', '=', 'gateway')
    .where('workspace_id', '=', workspaceId)
    .where('id', '!=', keepId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Up to `limit` unrevoked user sessions expired at `now`, soonest expiry first. */
export async function listExpiredUserSessionRows(
  db: Executor,
  now: number,
  limit: number,
): Promise<SessionRow[]> {
  return db
    .selectFrom('sessions')
    .selectAll()
    .where('kind', '=', 'user')
    .where('revoked_at', 'is', null)
    .where('expires_at', '<=', now)
    .orderBy('expires_at')
    .limit(limit)
    .execute();
}

/** A session's expiry; undefined when there is no such session. */
export async function findSessionExpiry(
  db: Executor,
  sessionId: string,
): Promise<number | undefined> {
  const row = await db
    .selectFrom('sessions')
    .select('expires_at')
    .where('id', '=', sessionId)
    .executeTakeFirst();
  return row?.expires_at;
}

/** Sets revoked_at of one session unless it is revoked already. */
export async function setSessionRevokedAt(
  db: Executor,
  sessionId: string,
  revokedAt: number,
): Promise<void> {
  await db
    .updateTable('sessions')
    .set({ revoked_at: revokedAt })
    .where('id', '=', sessionId)
    .where('revoked_at', 'is', null)
    .execute();
}

/** The ids of up to `limit` sessions expired or revoked before `before`. */
export async function findSessionIdsEndedBefore(
  db: Executor,
  before: number,
  limit: number,
): Promise<string[]> {
  const rows = await db
    .selectFrom('sessions')
    .select('id')
    .where((eb) => eb.or([eb('expires_at', '<', before), eb('revoked_at', '<', before)]))
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}

/** Deletes the sessions with these ids; returns how many were deleted. */
export async function deleteSessionRows(db: Executor, ids: string[]): Promise<number> {
  const result = await db.deleteFrom('sessions').where('id', 'in', ids).executeTakeFirst();
  return Number(result.numDeletedRows);
}
