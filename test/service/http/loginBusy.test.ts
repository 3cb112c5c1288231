// Sign-in on a busy service: password checks (scrypt) are queued, and a check whose turn would
// come too late is refused at once with 503 and Retry-After (service/accounts/passwords.ts), not
// left to queue until the client gives up. A refused attempt is no failed guess: it neither
// counts against the sign-in limits nor leaves a failure in the audit log. Found by the soak
// (npm run soak), where sign-ins on a loaded machine timed out in the client.
import assert from 'node:assert/strict';
import { passwordWork } from '../../../service/accounts/passwords';
import { randomName } from '../../support/fixtures';
import { forEachServiceDialect } from '../../support/service';

forEachServiceDialect('sign-in on a busy service', (ctx) => {
  let before: ReturnType<typeof passwordWork.configure> | undefined;
  beforeEach(() => {
    // One check at a time and no queue at all: every sign-in that overlaps another is refused.
    before = passwordWork.configure({ concurrency: 1, maxWaitMs: 0 });
  });
  afterEach(() => {
    if (before) passwordWork.configure(before);
  });

  it('answers a burst with 200 or a quick 503 + Retry-After, never a 500 or a wait', async () => {
    const name = randomName('busy');
    await ctx().svc.createUser(name, 'busy-password-1');
    const started = Date.now();
    const answers = await Promise.all(
      Array.from({ length: 12 }, async () => {
        const t = Date.now();
        const res = await ctx().svc.request('POST', '/trpc/auth.login', {
          body: { username: name, password: 'busy-password-1' },
        });
        return { res, ms: Date.now() - t };
      }),
    );
    const ok = answers.filter((a) => a.res.status === 200);
    const busy = answers.filter((a) => a.res.status === 503);
    assert.equal(ok.length + busy.length, answers.length, answers.map((a) => a.res.status).join());
    assert.ok(ok.length >= 1, 'the first check runs');
    assert.ok(busy.length >= 1, 'overlapping checks are refused');
    const slowest = Math.max(...ok.map((a) => a.ms));
    for (const { res, ms } of busy) {
      assert.match(res.text, /busy checking other passwords; try again in \d+ s/);
      assert.ok(Number(res.headers.get('retry-after')) >= 1, 'Retry-After in seconds');
      assert.doesNotMatch(res.text, /scrypt|stack|at .*\.ts/);
      // Refused without queueing behind the running check (no slower than the one that ran).
      assert.ok(ms <= slowest + 1_000, `a refusal took ${ms} ms, the check ${slowest} ms`);
    }
    assert.ok(Date.now() - started < 15_000);
  });

  it('refused sign-ins do not count against the limits or the audit log', async () => {
    const name = randomName('busylimit');
    await ctx().svc.createUser(name, 'busy-password-2');
    // More refusals from this address than the 5 attempts it may make at this username.
    let refused = 0;
    for (let round = 0; round < 4 && refused < 8; round++) {
      const answers = await Promise.all(
        Array.from({ length: 6 }, () =>
          ctx().svc.request('POST', '/trpc/auth.login', {
            body: { username: name, password: 'busy-password-2' },
          }),
        ),
      );
      refused += answers.filter((a) => a.status === 503).length;
      assert.ok(answers.every((a) => a.status === 200 || a.status === 503));
    }
    assert.ok(refused >= 6, `only ${refused} refused`);
    passwordWork.configure(before!);
    const res = await ctx().svc.request('POST', '/trpc/auth.login', {
      body: { username: name, password: 'busy-password-2' },
    });
    assert.equal(res.status, 200, res.text);
    const outcomes = await ctx()
      .store.db.selectFrom('audit_log')
      .select('outcome')
      .where('action', '=', 'login')
      .where('username', '=', name)
      .execute();
    assert.ok(
      outcomes.every((r) => r.outcome === 'success'),
      JSON.stringify(outcomes),
    );
    const pending = await ctx()
      .store.db.selectFrom('login_attempts')
      .select('id')
      .where('username', '=', name.toLowerCase())
      .execute();
    assert.deepEqual(pending, [], 'no reservation is left behind');
  });
});
