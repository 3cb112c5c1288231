// Failed-login rate limiting per username AND per address, kept in the database (login_failures)
// so every replica of the service counts the same attempts. Answers how long to wait.
import { AppError } from '../errors';
import type { Executor } from '../store/database';

export interface LoginLimits {
  /** Failures of one username within the window before it is blocked. */
  perUsername: number;
  /** Failures from one address (any usernames) within the window before it is blocked. */
  perAddress: number;
  windowSeconds: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = {
  perUsername: 5,
  perAddress: 20,
  windowSeconds: 900,
};

export interface LoginAttempt {
  username: string;
  ipAddress: string | null;
}

/** Seconds until the oldest of the last `limit` failures leaves the window (0 if not blocked). */
async function waitFor(
  db: Executor,
  column: 'username' | 'ip_address',
  value: string,
  limit: number,
  windowMs: number,
  now: number,
): Promise<number> {
  const rows = await db
    .selectFrom('login_failures')
    .select('failed_at')
    .where(column, '=', value)
    .where('failed_at', '>', now - windowMs)
    .orderBy('failed_at', 'desc')
    .limit(limit)
    .execute();
  if (rows.length < limit) return 0;
  const oldest = rows[rows.length - 1]?.failed_at ?? now;
  return Math.max(1, Math.ceil((oldest + windowMs - now) / 1000));
}

/** 0 when a sign-in may be tried now, else the seconds to wait (for Retry-After). */
export async function loginRetryAfter(
  db: Executor,
  attempt: LoginAttempt,
  limits: LoginLimits = DEFAULT_LOGIN_LIMITS,
  now: number = Date.now(),
): Promise<number> {
  const windowMs = limits.windowSeconds * 1000;
  const byName = await waitFor(db, 'username', attempt.username, limits.perUsername, windowMs, now);
  const byAddress = attempt.ipAddress
    ? await waitFor(db, 'ip_address', attempt.ipAddress, limits.perAddress, windowMs, now)
    : 0;
  return Math.max(byName, byAddress);
}

/** Throws TOO_MANY_REQUESTS (with retryAfterSeconds) when the attempt is blocked. */
export async function assertLoginAllowed(
  db: Executor,
  attempt: LoginAttempt,
  limits: LoginLimits = DEFAULT_LOGIN_LIMITS,
  now: number = Date.now(),
): Promise<void> {
  const retryAfterSeconds = await loginRetryAfter(db, attempt, limits, now);
  if (retryAfterSeconds > 0) {
    throw new AppError(
      'TOO_MANY_REQUESTS',
      `too many failed sign-ins; try again in ${retryAfterSeconds} seconds`,
      { retryAfterSeconds },
    );
  }
}

/** Counts one failed sign-in, and drops failures older than the window in a bounded batch. */
export async function recordLoginFailure(
  db: Executor,
  attempt: LoginAttempt,
  limits: LoginLimits = DEFAULT_LOGIN_LIMITS,
  now: number = Date.now(),
): Promise<void> {
  await db
    .insertInto('login_failures')
    .values({
      username: attempt.username.slice(0, 128),
      ip_address: attempt.ipAddress?.slice(0, 64) ?? null,
      failed_at: now,
    })
    .execute();
  const stale = await db
    .selectFrom('login_failures')
    .select('id')
    .where('failed_at', '<=', now - limits.windowSeconds * 1000)
    .limit(100)
    .execute();
  if (stale.length > 0) {
    await db
      .deleteFrom('login_failures')
      .where(
        'id',
        'in',
        stale.map((r) => r.id),
      )
      .execute();
  }
}

/** After a successful sign-in the username starts afresh (the address count stays). */
export async function clearLoginFailures(db: Executor, username: string): Promise<void> {
  await db.deleteFrom('login_failures').where('username', '=', username.slice(0, 128)).execute();
}
