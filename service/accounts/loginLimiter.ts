// Sign-in rate limiting, kept in the database (login_attempts) so every replica counts the same
// attempts. An attempt is RESERVED before the password is checked: the count and the reservation
// happen in one transaction holding a row lock per username and per address
// (login_limit_locks), so parallel requests, batches and replicas on one MySQL cannot together
// run more password checks than the limits allow. A reservation becomes a failure, or is deleted
// on success together with its own (address, username) failures; other addresses' stay.
//
// The policy, per window (15 minutes):
//  - 5 attempts per (address, username): the guessing one client can do against one account;
//  - 15 attempts per username from all addresses: distributed guessing against one account;
//    one address alone never reaches it, so one client cannot lock a user out;
//  - a ceiling of 30 attempts per address: over it, the address may still try usernames it has
//    not failed for (a colleague behind the same proxy signs in), but no second guess at any.
//
// A reservation still pending after PENDING_TTL_MS counts no more: its check ended long ago or
// its process died mid-check (a crash, a SIGKILL), and the reservation would otherwise count as
// an attempt for the whole window, locking the account's owner out for 15 minutes because a
// replica was killed while they signed in.
import type { Kysely } from 'kysely';
import { AppError } from '../errors';
import { isRetryable as isConflict } from '../store/retry';
import type { Executor } from '../store/database';
import {
  deleteAttempt,
  deleteAttempts,
  deleteFailedAttemptsOf,
  findAttemptIdsAtOrBefore,
  insertPendingAttempt,
  listCountingAttemptsByAddress,
  listCountingAttemptsByUsername,
  markAttemptFailed,
} from '../store/loginAttempts';
import {
  countLockRows,
  deleteLockRowsTouchedAtOrBefore,
  findExistingLockKeys,
  findLockKeysTouchedAtOrBefore,
  insertLockRowsIfMissing,
  touchLockRows,
} from '../store/loginLimitLocks';
import type { Database } from '../store/schema';

export interface LoginLimits {
  /** Attempts at one username from one address within the window. */
  perAddressAndUsername: number;
  /** Attempts at one username from all addresses within the window. */
  perUsername: number;
  /** Attempts from one address within the window before it may try only fresh usernames. */
  perAddress: number;
  windowSeconds: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = {
  perAddressAndUsername: 5,
  perUsername: 15,
  perAddress: 30,
  windowSeconds: 900,
};

/**
 * How long a pending reservation counts. No check runs that long: a check waits at most 10 s for
 * its turn (accounts/passwords.ts) and scrypt takes well under a second, seconds on a loaded
 * machine; the database calls around it are bounded by their own time-outs.
 */
export const PENDING_TTL_MS = 60_000;

export interface LoginAttempt {
  username: string;
  ipAddress: string | null;
}

/** A reserved attempt: finish it with recordLoginFailure, recordLoginSuccess or release. */
export interface LoginReservation {
  id: number;
  username: string;
  ipAddress: string;
}

/** How an attempt is keyed: usernames compare case-insensitively, an unknown address is ''. */
function keysOf(attempt: LoginAttempt): { username: string; ipAddress: string } {
  return {
    username: attempt.username.toLowerCase().slice(0, 128),
    ipAddress: (attempt.ipAddress ?? '').slice(0, 64),
  };
}

/**
 * Seconds until fewer than `limit` of the attempts still count, given when each stops counting
 * (`until`, epoch ms); 0 when fewer than `limit` count now.
 */
function waitFor(until: number[], limit: number, now: number): number {
  const edge = [...until].sort((a, b) => b - a)[limit - 1];
  if (edge === undefined) return 0;
  return Math.max(1, Math.ceil((edge - now) / 1000));
}

interface Counted {
  /** Attempts at the username that count now, and when each stops counting (epoch ms). */
  username: Array<{ ip_address: string; until: number }>;
  /** The same for the attempts from the address, if needed. */
  address: number[];
}

/** When an attempt stops counting: a failure at the end of the window, a pending one sooner. */
function untilOf(row: { state: string; attempted_at: number }, limits: LoginLimits): number {
  const at = Number(row.attempted_at);
  return row.state === 'pending'
    ? Math.min(at + PENDING_TTL_MS, at + limits.windowSeconds * 1000)
    : at + limits.windowSeconds * 1000;
}

/** The pure decision: 0 when the attempt may run, else the seconds to wait. */
export function retryAfterFor(
  counted: Counted,
  ipAddress: string,
  limits: LoginLimits,
  now: number,
): number {
  const byName = counted.username.map((r) => r.until);
  const byPair = counted.username.filter((r) => r.ip_address === ipAddress).map((r) => r.until);
  const waits = [
    waitFor(byPair, limits.perAddressAndUsername, now),
    waitFor(byName, limits.perUsername, now),
  ];
  if (byPair.length > 0) {
    // Over the ceiling the address is blocked for this username until either its own count
    // drops under the ceiling or this pair's attempts have left the window.
    const ceiling = waitFor(counted.address, limits.perAddress, now);
    const pairClears = waitFor(byPair, 1, now);
    if (ceiling > 0) waits.push(Math.min(ceiling, pairClears));
  }
  return Math.max(...waits);
}

async function count(
  db: Executor,
  keys: { username: string; ipAddress: string },
  limits: LoginLimits,
  now: number,
): Promise<Counted> {
  const window = { since: now - limits.windowSeconds * 1000, pendingSince: now - PENDING_TTL_MS };
  const byName = await listCountingAttemptsByUsername(
    db,
    keys.username,
    window,
    limits.perUsername,
  );
  const username = byName.map((r) => ({ ip_address: r.ip_address, until: untilOf(r, limits) }));
  // The address count matters only for a username this address has already tried.
  if (!username.some((r) => r.ip_address === keys.ipAddress)) return { username, address: [] };
  const address = await listCountingAttemptsByAddress(
    db,
    keys.ipAddress,
    window,
    limits.perAddress,
  );
  return { username, address: address.map((r) => untilOf(r, limits)) };
}

/**
 * Creates missing lock rows, outside the transaction: creating one inside would take a shared
 * lock that two transactions could then both try to upgrade (a deadlock). Existing rows, the
 * usual case, are only read.
 */
async function ensureLockRows(db: Kysely<Database>, lockKeys: string[], now: number) {
  const existing = await findExistingLockKeys(db, lockKeys);
  const missing = lockKeys.filter((k) => !existing.includes(k));
  if (missing.length === 0) return;
  await insertLockRowsIfMissing(db, missing, now);
}

/** A lock row disappeared between creating and locking it (cleanup raced us): start again. */
class LockRowGone extends Error {}

/** MySQL's deadlock (and Galera's certification conflict): the transaction may simply be rerun. */
function isRetryable(err: unknown): boolean {
  if (err instanceof LockRowGone) return true;
  if (typeof err !== 'object' || err === null) return false;
  const { code, errno } = err as { code?: unknown; errno?: unknown };
  return code === 'ER_LOCK_DEADLOCK' || errno === 1213;
}

function tooMany(retryAfterSeconds: number): AppError {
  return new AppError(
    'TOO_MANY_REQUESTS',
    `too many failed sign-ins; try again in ${retryAfterSeconds} seconds`,
    { retryAfterSeconds },
  );
}

/**
 * Reserves one attempt, atomically with counting the attempts already made or running; throws
 * TOO_MANY_REQUESTS (with retryAfterSeconds) when the attempt is over a limit.
 */
export async function reserveLoginAttempt(
  db: Kysely<Database>,
  attempt: LoginAttempt,
  limits: LoginLimits = DEFAULT_LOGIN_LIMITS,
  now: number = Date.now(),
): Promise<LoginReservation> {
  const keys = keysOf(attempt);
  // Sorted, so every statement takes the two row locks in the same order (no deadlock).
  const lockKeys = [`a:${keys.ipAddress}`, `u:${keys.username}`].sort();
  for (let tries = 1; ; tries++) {
    try {
      await ensureLockRows(db, lockKeys, now);
      const id = await db
        .transaction()
        .setIsolationLevel('read committed')
        .execute(async (trx) => {
          // The write takes the row locks (on SQLite, the database's write lock) before counting.
          await touchLockRows(trx, lockKeys, now);
          if ((await countLockRows(trx, lockKeys)) < lockKeys.length) throw new LockRowGone();
          const wait = retryAfterFor(
            await count(trx, keys, limits, now),
            keys.ipAddress,
            limits,
            now,
          );
          if (wait > 0) throw tooMany(wait);
          return insertPendingAttempt(trx, keys, now);
        });
      return { id, ...keys };
    } catch (err) {
      if (tries < 5 && isRetryable(err)) continue;
      throw err;
    }
  }
}

/** The password was wrong: the reservation counts as a failure; stale rows are cleaned up. */
export async function recordLoginFailure(
  db: Executor,
  reservation: LoginReservation,
  limits: LoginLimits = DEFAULT_LOGIN_LIMITS,
  now: number = Date.now(),
): Promise<void> {
  await markAttemptFailed(db, reservation.id);
  await removeStale(db, now - limits.windowSeconds * 1000);
}

/**
 * Signed in: the reservation and this address's failures at this username are forgotten. The
 * reservation goes first, by its key alone: on Galera a wider delete meets certification
 * conflicts with other sign-ins, and a reservation left behind would count against the user for
 * a minute. Forgetting the failures is tidying: a conflict that outlives its retries leaves them
 * counting (the stricter side) and does not fail the sign-in.
 */
export async function recordLoginSuccess(
  db: Executor,
  reservation: LoginReservation,
): Promise<void> {
  await deleteAttempt(db, reservation.id);
  await deleteFailedAttemptsOf(db, reservation.username, reservation.ipAddress).catch(
    (err: unknown) => {
      if (!isConflict(err)) throw err;
    },
  );
}

/** The check could not be made (an outage, not a wrong password): the attempt does not count. */
export async function releaseLoginAttempt(
  db: Executor,
  reservation: LoginReservation,
): Promise<void> {
  await deleteAttempt(db, reservation.id);
}

/** Drops attempts and lock rows older than the window, a bounded batch at a time. */
async function removeStale(db: Executor, cutoff: number): Promise<void> {
  const attempts = await findAttemptIdsAtOrBefore(db, cutoff, 100);
  if (attempts.length > 0) await deleteAttempts(db, attempts);
  const locks = await findLockKeysTouchedAtOrBefore(db, cutoff, 100);
  // touched_at is checked again: a lock taken meanwhile stays.
  if (locks.length > 0) await deleteLockRowsTouchedAtOrBefore(db, locks, cutoff);
}

/** 0 when a sign-in may be tried now, else the seconds to wait (without reserving; for tests). */
export async function loginRetryAfter(
  db: Executor,
  attempt: LoginAttempt,
  limits: LoginLimits = DEFAULT_LOGIN_LIMITS,
  now: number = Date.now(),
): Promise<number> {
  const keys = keysOf(attempt);
  return retryAfterFor(await count(db, keys, limits, now), keys.ipAddress, limits, now);
}
