import assert from 'node:assert/strict';
import {
  hashPassword,
  needsRehash,
  PasswordWork,
  passwordWork,
  verifyAgainstDummy,
  verifyPassword,
} from '../../../service/accounts/passwords';
import { AppError } from '../../../service/errors';
import { tierSuite } from '../../support/tiers';

tierSuite('unit', 'accounts/passwords', () => {
  it('hashes with scrypt in a self-describing format and verifies', async () => {
    const hash = await hashPassword('s3cret-passphrase');
    assert.match(hash, /^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    assert.doesNotMatch(hash, /s3cret/);
    assert.equal(await verifyPassword('s3cret-passphrase', hash), true);
    assert.equal(await verifyPassword('s3cret-passphrasE', hash), false);
    assert.equal(needsRehash(hash), false);
  });

  it('salts: the same password hashes differently', async () => {
    assert.notEqual(await hashPassword('same'), await hashPassword('same'));
  });

  it('answers false for damaged or hostile hashes instead of throwing', async () => {
    for (const bad of [
      '',
      'plain',
      'scrypt$1$1$1$$',
      'scrypt$33554432$8$1$AAAA$AAAA',
      'bcrypt$x',
    ]) {
      assert.equal(await verifyPassword('x', bad), false, bad);
    }
    assert.equal(await verifyAgainstDummy('anything'), false);
    assert.equal(needsRehash('scrypt$1024$8$1$AAAA$AAAA'), true);
  });
});

tierSuite('unit', 'accounts/passwords: the password work queue', () => {
  const gate = () => {
    let release: () => void = () => undefined;
    const done = new Promise<void>((r) => (release = r));
    return { done, release: () => release() };
  };

  it('runs at most `concurrency` at once and hands the slot on in order', async () => {
    const work = new PasswordWork({ concurrency: 2, maxWaitMs: 60_000 });
    const gates = [gate(), gate(), gate(), gate()];
    const order: number[] = [];
    let peak = 0;
    let running = 0;
    const all = gates.map((g, i) =>
      work.run(async () => {
        running++;
        peak = Math.max(peak, running);
        order.push(i);
        await g.done;
        running--;
        return i;
      }),
    );
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(work.load.running, 2);
    assert.equal(work.load.waiting, 2);
    for (const g of gates) g.release();
    assert.deepEqual(await Promise.all(all), [0, 1, 2, 3]);
    assert.equal(peak, 2);
    assert.deepEqual(order, [0, 1, 2, 3]);
    assert.deepEqual({ ...work.load, estimateMs: 0 }, { running: 0, waiting: 0, estimateMs: 0 });
  });

  it('refuses at once, with 503 and a Retry-After, work whose turn would come too late', async () => {
    // One at a time, 1 s each as far as it knows, 2.5 s of queue allowed: two may wait.
    const work = new PasswordWork({ concurrency: 1, maxWaitMs: 2_500, initialEstimateMs: 1_000 });
    const g = gate();
    const admitted = [0, 1, 2].map(() => work.run(() => g.done));
    await new Promise((r) => setImmediate(r));
    const started = Date.now();
    const refused = await work
      .run(() => Promise.resolve())
      .then(
        () => null,
        (err: unknown) => err,
      );
    assert.ok(Date.now() - started < 100, 'the refusal is immediate');
    assert.ok(refused instanceof AppError, String(refused));
    assert.equal(refused.code, 'SERVICE_UNAVAILABLE');
    assert.equal(refused.retryAfterSeconds, 3, 'three computations of 1 s are ahead');
    assert.match(refused.message, /busy checking other passwords; try again in 3 s/);
    assert.equal(work.load.waiting, 2, 'the refused one was not queued');
    g.release();
    await Promise.all(admitted);
    // Measured durations replace the guess: instant work empties the estimate, so all are admitted.
    assert.ok(work.load.estimateMs < 1_000);
  });

  it('a computation running longer than the estimate raises it at once', async () => {
    // The machine has just become busy: the average of past computations says 10 ms, but the
    // one running now has taken 1.2 s already, so a newcomer would wait at least that long.
    const work = new PasswordWork({ concurrency: 1, maxWaitMs: 1_000, initialEstimateMs: 10 });
    const g = gate();
    const running = work.run(() => g.done);
    await new Promise((r) => setTimeout(r, 1_200));
    await assert.rejects(
      work.run(() => Promise.resolve()),
      (err: unknown) => {
        assert.ok(err instanceof AppError && err.code === 'SERVICE_UNAVAILABLE');
        assert.ok((err.retryAfterSeconds ?? 0) >= 2, String(err.retryAfterSeconds));
        return true;
      },
    );
    g.release();
    await running;
  });

  it('refuses work admitted on a too optimistic estimate when its turn comes too late', async () => {
    // 10 ms each as far as it knows, so the second is admitted; the first then takes 600 ms.
    const work = new PasswordWork({ concurrency: 1, maxWaitMs: 300, initialEstimateMs: 10 });
    const g = gate();
    const first = work.run(() => g.done);
    let ran = false;
    const second = work.run(async () => {
      ran = true;
    });
    const third = work.run(() => Promise.resolve('third'));
    await new Promise((r) => setTimeout(r, 600));
    g.release();
    await first;
    await assert.rejects(second, /busy checking other passwords/);
    await assert.rejects(third, /busy/);
    assert.equal(ran, false, 'the late one was not computed for nobody');
    assert.deepEqual({ ...work.load, estimateMs: 0 }, { running: 0, waiting: 0, estimateMs: 0 });
    // And the queue goes on working.
    assert.equal(await work.run(() => Promise.resolve(7)), 7);
  });

  it('a refusal while busy is not remembered: the dummy check works once there is room', async () => {
    const before = passwordWork.configure({ maxWaitMs: 0, concurrency: 1 });
    const g = gate();
    const busy = passwordWork.run(() => g.done);
    try {
      await assert.rejects(verifyAgainstDummy('x'), /busy/);
    } finally {
      g.release();
      await busy;
      passwordWork.configure(before);
    }
    assert.equal(await verifyAgainstDummy('x'), false);
  });
});
