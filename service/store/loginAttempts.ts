// The login_attempts table: sign-in attempts, reserved ('pending') before the password is checked
// and kept as 'failed' (service/accounts/loginLimiter.ts counts them against the limits, inside
// its transaction). Every statement on the table.
import type { Expression, ExpressionBuilder, SqlBool } from 'kysely';
import type { Executor } from './database';
import type { Database, LoginAttemptsTable } from './schema';

/** Which attempts count: made after `since`; a pending one only if made after `pendingSince`. */
export interface CountingWindow {
  since: number;
  pendingSince: number;
}

function counting(window: CountingWindow) {
  return (eb: ExpressionBuilder<Database, 'login_attempts'>): Expression<SqlBool> =>
    eb.and([
      eb('attempted_at', '>', window.since),
      eb.or([eb('state', '!=', 'pending'), eb('attempted_at', '>', window.pendingSince)]),
    ]);
}

export interface CountingAttempt {
  ip_address: string;
  state: LoginAttemptsTable['state'];
  attempted_at: number;
}

/** Up to `limit` counting attempts at a username, newest first. */
export async function listCountingAttemptsByUsername(
  db: Executor,
  username: string,
  window: CountingWindow,
  limit: number,
): Promise<CountingAttempt[]> {
  return db
    .selectFrom('login_attempts')
    .select(['ip_address', 'attempted_at', 'state'])
    .where('username', '=', username)
    .where(counting(window))
    .orderBy('attempted_at', 'desc')
    .limit(limit)
    .execute();
}

/** Up to `limit` counting attempts from an address, newest first. */
export async function listCountingAttemptsByAddress(
  db: Executor,
  ipAddress: string,
  window: CountingWindow,
  limit: number,
): Promise<Omit<CountingAttempt, 'ip_address'>[]> {
  return db
    .selectFrom('login_attempts')
    .select(['attempted_at', 'state'])
    .where('ip_address', '=', ipAddress)
    .where(counting(window))
    .orderBy('attempted_at', 'desc')
    .limit(limit)
    .execute();
}

/** Inserts a pending attempt and returns its id. */
export async function insertPendingAttempt(
  db: Executor,
  keys: { username: string; ipAddress: string },
  now: number,
): Promise<number> {
  const inserted = await db
    .insertInto('login_attempts')
    .values({
      username: keys.username,
      ip_address: keys.ipAddress,
      state: 'pending',
      attempted_at: now,
    })
    .executeTakeFirstOrThrow();
  return Number(inserted.insertId);
}

export async function markAttemptFailed(db: Executor, id: number): Promise<void> {
  await db.updateTable('login_attempts').set({ state: 'failed' }).where('id', '=', id).execute();
}

/** Deletes one attempt by its key. */
export async function deleteAttempt(db: Executor, id: number): Promise<void> {
  await db.deleteFrom('login_attempts').where('id', '=', id).execute();
}

/** Deletes the failed attempts of one (username, address). */
export async function deleteFailedAttemptsOf(
  db: Executor,
  username: string,
  ipAddress: string,
): Promise<void> {
  await db
    .deleteFrom('login_attempts')
    .where('username', '=', username)
    .where('ip_address', '=', ipAddress)
    .where('state', '=', 'failed')
    .execute();
}

/** The ids of up to `limit` attempts made at or before `cutoff`. */
export async function findAttemptIdsAtOrBefore(
  db: Executor,
  cutoff: number,
  limit: number,
): Promise<number[]> {
  const rows = await db
    .selectFrom('login_attempts')
    .select('id')
    .where('attempted_at', '<=', cutoff)
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}

export async function deleteAttempts(db: Executor, ids: number[]): Promise<void> {
  await db.deleteFrom('login_attempts').where('id', 'in', ids).execute();
}
