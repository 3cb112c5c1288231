import assert from 'node:assert/strict';
import {
  type LoginLimits,
  loginRetryAfter,
  PENDING_TTL_MS,
  recordLoginFailure,
  recordLoginSuccess,
  releaseLoginAttempt,
  reserveLoginAttempt,
} from '../../../service/accounts/loginLimiter';
import { AppError } from '../../../service/errors';
import { forEachDialect } from '../../support/databases';
import { randomName } from '../../support/fixtures';

const LIMITS: LoginLimits = {
  perAddressAndUsername: 3,
  perUsername: 5,
  perAddress: 6,
  windowSeconds: 600,
};

function isTooMany(seconds?: number) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof AppError);
    assert.equal(err.code, 'TOO_MANY_REQUESTS');
    if (seconds !== undefined) assert.equal(err.retryAfterSeconds, seconds);
    return true;
  };
}

forEachDialect('accounts/loginLimiter', (ctx) => {
  const fail = async (username: string, ipAddress: string, at: number) => {
    const r = await reserveLoginAttempt(ctx().db, { username, ipAddress }, LIMITS, at);
    await recordLoginFailure(ctx().db, r, LIMITS, at);
  };

  it('blocks one address at one username after N attempts and says how long to wait', async () => {
    const username = randomName();
    const t0 = Date.now();
    for (let i = 0; i < LIMITS.perAddressAndUsername; i++)
      await fail(username, '10.0.0.1', t0 + i * 1000);
    const now = t0 + 10_000;
    await assert.rejects(
      reserveLoginAttempt(ctx().db, { username, ipAddress: '10.0.0.1' }, LIMITS, now),
      isTooMany(590),
    );
    // Usernames compare without case: 'ALICE' is alice's counter.
    await assert.rejects(
      reserveLoginAttempt(
        ctx().db,
        { username: username.toUpperCase(), ipAddress: '10.0.0.1' },
        LIMITS,
        now,
      ),
      isTooMany(),
    );
    assert.equal(
      await loginRetryAfter(ctx().db, { username, ipAddress: '10.0.0.2' }, LIMITS, now),
      0,
    );
    assert.equal(
      await loginRetryAfter(ctx().db, { username, ipAddress: '10.0.0.1' }, LIMITS, t0 + 600_001),
      0,
    );
  });

  it('blocks a username tried from many addresses at the per-username limit', async () => {
    const username = randomName();
    const t0 = Date.now();
    for (let i = 0; i < LIMITS.perUsername; i++) await fail(username, `10.1.0.${i}`, t0);
    await assert.rejects(
      reserveLoginAttempt(ctx().db, { username, ipAddress: '10.1.1.1' }, LIMITS, t0 + 1),
      isTooMany(),
    );
  });

  it('over its ceiling an address may still try usernames it has not failed for', async () => {
    const ip = `10.2.${Math.floor(Math.random() * 250)}.1`;
    const t0 = Date.now();
    const sprayed: string[] = [];
    for (let i = 0; i < LIMITS.perAddress; i++) {
      sprayed.push(randomName());
      await fail(sprayed[i] ?? '', ip, t0);
    }
    await assert.rejects(
      reserveLoginAttempt(ctx().db, { username: sprayed[0] ?? '', ipAddress: ip }, LIMITS, t0 + 1),
      isTooMany(),
    );
    const fresh = await reserveLoginAttempt(
      ctx().db,
      { username: randomName(), ipAddress: ip },
      LIMITS,
      t0 + 1,
    );
    await releaseLoginAttempt(ctx().db, fresh);
  });

  it('a reservation counts while it runs; parallel reservations never exceed the limit', async () => {
    const username = randomName();
    const t0 = Date.now();
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, () =>
        reserveLoginAttempt(ctx().db, { username, ipAddress: '10.3.0.1' }, LIMITS, t0),
      ),
    );
    assert.equal(
      results.filter((r) => r.status === 'fulfilled').length,
      LIMITS.perAddressAndUsername,
    );
    for (const r of results) if (r.status === 'rejected') assert.ok(isTooMany()(r.reason));
  });

  it('a reservation left pending by a process that died stops counting after a minute', async () => {
    // Found by the soak: a replica killed (SIGKILL) mid sign-in left its reservations pending,
    // and they counted for the whole 10-15 minute window, locking the user out.
    const username = randomName();
    const t0 = Date.now();
    for (let i = 0; i < LIMITS.perAddressAndUsername; i++) {
      await reserveLoginAttempt(ctx().db, { username, ipAddress: '10.5.0.1' }, LIMITS, t0);
    }
    // While they may still be running they count, and the wait is theirs, not the window's.
    await assert.rejects(
      reserveLoginAttempt(ctx().db, { username, ipAddress: '10.5.0.1' }, LIMITS, t0 + 1_000),
      isTooMany(PENDING_TTL_MS / 1000 - 1),
    );
    const later = t0 + PENDING_TTL_MS + 1;
    const r = await reserveLoginAttempt(
      ctx().db,
      { username, ipAddress: '10.5.0.1' },
      LIMITS,
      later,
    );
    await recordLoginFailure(ctx().db, r, LIMITS, later);
    // Failures still count for the whole window.
    for (let i = 1; i < LIMITS.perAddressAndUsername; i++) {
      await fail(username, '10.5.0.1', later + i);
    }
    await assert.rejects(
      reserveLoginAttempt(ctx().db, { username, ipAddress: '10.5.0.1' }, LIMITS, later + 60_000),
      isTooMany(),
    );
  });

  it('success forgets only its own address’s failures at the username', async () => {
    const username = randomName();
    const t0 = Date.now();
    await fail(username, '10.4.0.1', t0);
    await fail(username, '10.4.0.1', t0);
    await fail(username, '10.4.0.2', t0);
    await fail(username, '10.4.0.2', t0);
    const ok = await reserveLoginAttempt(ctx().db, { username, ipAddress: '10.4.0.2' }, LIMITS, t0);
    await recordLoginSuccess(ctx().db, ok);
    const left = await ctx()
      .db.selectFrom('login_attempts')
      .select(['ip_address', 'state'])
      .where('username', '=', username)
      .execute();
    assert.deepEqual(left, [
      { ip_address: '10.4.0.1', state: 'failed' },
      { ip_address: '10.4.0.1', state: 'failed' },
    ]);
  });
});
