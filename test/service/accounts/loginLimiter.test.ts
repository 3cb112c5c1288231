import assert from 'node:assert/strict';
import {
  assertLoginAllowed,
  clearLoginFailures,
  loginRetryAfter,
  recordLoginFailure,
  type LoginLimits,
} from '../../../service/accounts/loginLimiter';
import { AppError } from '../../../service/errors';
import { forEachDialect } from '../../support/databases';
import { randomName } from '../../support/fixtures';

const LIMITS: LoginLimits = { perUsername: 3, perAddress: 5, windowSeconds: 600 };

forEachDialect('accounts/loginLimiter', (ctx) => {
  it('blocks a username after N failures and says how long to wait', async () => {
    const username = randomName();
    const t0 = Date.now();
    for (let i = 0; i < LIMITS.perUsername; i++) {
      assert.equal(
        await loginRetryAfter(ctx().db, { username, ipAddress: null }, LIMITS, t0 + i * 1000),
        0,
      );
      await recordLoginFailure(
        ctx().db,
        { username, ipAddress: `10.0.0.${i}` },
        LIMITS,
        t0 + i * 1000,
      );
    }
    const now = t0 + 10_000;
    const wait = await loginRetryAfter(ctx().db, { username, ipAddress: '10.9.9.9' }, LIMITS, now);
    assert.equal(wait, 590, 'the first failure leaves the 600 s window 590 s from now');
    await assert.rejects(
      assertLoginAllowed(ctx().db, { username, ipAddress: null }, LIMITS, now),
      (err: unknown) => {
        assert.ok(err instanceof AppError);
        assert.equal(err.code, 'TOO_MANY_REQUESTS');
        assert.equal(err.retryAfterSeconds, 590);
        return true;
      },
    );
    assert.equal(
      await loginRetryAfter(ctx().db, { username, ipAddress: null }, LIMITS, t0 + 600_001),
      0,
    );
    assert.equal(
      await loginRetryAfter(ctx().db, { username: randomName(), ipAddress: null }, LIMITS, now),
      0,
    );
  });

  it('blocks an address trying many usernames', async () => {
    const ip = `192.0.2.${Math.floor(Math.random() * 250)}-${randomName()}`.slice(0, 40);
    const t0 = Date.now();
    for (let i = 0; i < LIMITS.perAddress; i++) {
      await recordLoginFailure(ctx().db, { username: randomName(), ipAddress: ip }, LIMITS, t0);
    }
    assert.ok(
      (await loginRetryAfter(ctx().db, { username: randomName(), ipAddress: ip }, LIMITS, t0 + 1)) >
        0,
    );
    assert.equal(
      await loginRetryAfter(
        ctx().db,
        { username: randomName(), ipAddress: 'other' },
        LIMITS,
        t0 + 1,
      ),
      0,
    );
  });

  it('a successful sign-in clears the username count', async () => {
    const username = randomName();
    const t0 = Date.now();
    for (let i = 0; i < LIMITS.perUsername; i++) {
      await recordLoginFailure(ctx().db, { username, ipAddress: null }, LIMITS, t0);
    }
    assert.ok((await loginRetryAfter(ctx().db, { username, ipAddress: null }, LIMITS, t0)) > 0);
    await clearLoginFailures(ctx().db, username);
    assert.equal(await loginRetryAfter(ctx().db, { username, ipAddress: null }, LIMITS, t0), 0);
  });
});
