// The login_limit_locks table: one row per username and per address, which the sign-in limiter
// (service/accounts/loginLimiter.ts) locks while it counts and reserves. Every statement on the
// table.
import type { Executor } from './database';

/** Which of these lock rows exist. */
export async function findExistingLockKeys(db: Executor, lockKeys: string[]): Promise<string[]> {
  const rows = await db
    .selectFrom('login_limit_locks')
    .select('lock_key')
    .where('lock_key', 'in', lockKeys)
    .execute();
  return rows.map((r) => r.lock_key);
}

/** Inserts lock rows; one another process inserted meanwhile is left as it is. */
export async function insertLockRowsIfMissing(
  db: Executor,
  lockKeys: string[],
  now: number,
): Promise<void> {
  await db
    .insertInto('login_limit_locks')
    .values(lockKeys.map((lock_key) => ({ lock_key, touched_at: now })))
    .orIgnore()
    .execute();
}

/** Touches lock rows: the write takes their row locks (on SQLite, the database's write lock). */
export async function touchLockRows(db: Executor, lockKeys: string[], now: number): Promise<void> {
  await db
    .updateTable('login_limit_locks')
    .set({ touched_at: now })
    .where('lock_key', 'in', lockKeys)
    .execute();
}

/** How many of these lock rows exist. */
export async function countLockRows(db: Executor, lockKeys: string[]): Promise<number> {
  const held = await db
    .selectFrom('login_limit_locks')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('lock_key', 'in', lockKeys)
    .executeTakeFirstOrThrow();
  return Number(held.n);
}

/** Up to `limit` lock keys last touched at or before `cutoff`. */
export async function findLockKeysTouchedAtOrBefore(
  db: Executor,
  cutoff: number,
  limit: number,
): Promise<string[]> {
  const rows = await db
    .selectFrom('login_limit_locks')
    .select('lock_key')
    .where('touched_at', '<=', cutoff)
    .limit(limit)
    .execute();
  return rows.map((r) => r.lock_key);
}

/** Deletes these lock rows if still untouched since `cutoff` (a lock taken meanwhile stays). */
export async function deleteLockRowsTouchedAtOrBefore(
  db: Executor,
  lockKeys: string[],
  cutoff: number,
): Promise<void> {
  await db
    .deleteFrom('login_limit_locks')
    .where('lock_key', 'in', lockKeys)
    .where('touched_at', '<=', cutoff)
    .execute();
}
