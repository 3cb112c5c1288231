import assert from 'node:assert/strict';
import { setImmediate as nextTick } from 'node:timers/promises';
import { AppError } from '../../../service/errors';
import { KeyRing } from '../../../service/crypto/keyring';
import { KeyMismatchError, MasterKey, verifyMasterKey } from '../../../service/crypto/masterKey';
import { forgetPreviousWraps, rotateMasterKey } from '../../../service/crypto/rotation';
import { createCredential, findCredentialForUser } from '../../../service/store/credentials';
import type { CredentialRow } from '../../../service/store/schema';
import { forEachDialect, openTestStore, type TestStore } from '../../support/databases';
import { addRawUsers, owner } from '../../support/fixtures';

/** Users with one secret each, encrypted under the store's current key. */
async function seed(
  store: TestStore,
  count: number,
): Promise<{ row: CredentialRow; secret: string }[]> {
  const ids = await addRawUsers(store.db, count);
  const out: { row: CredentialRow; secret: string }[] = [];
  for (const [i, userId] of ids.entries()) {
    const secret = `sk-rotation-${i}-${userId.slice(0, 6)}`;
    const info = await createCredential(store.db, store.keyring, {
      userId,
      type: 'ai_token',
      provider: 'openai',
      name: 'default',
      secret,
    });
    const row = await findCredentialForUser(store.db, userId, info.id);
    assert.ok(row);
    out.push({ row, secret });
  }
  return out;
}

async function assertAllDecrypt(ring: KeyRing, seeded: { row: CredentialRow; secret: string }[]) {
  for (const { row, secret } of seeded) assert.equal(await ring.decryptSecret(row), secret);
}

const uncached = (store: TestStore, key: MasterKey) =>
  new KeyRing(store.db, store.dialect, key, { cacheTtlMs: 0 });

forEachDialect('crypto/rotation', (ctx) => {
  let store: TestStore;
  beforeEach(async function () {
    this.timeout(60_000);
    // A fresh database per test: each rotation moves the whole database to a new key.
    store = await openTestStore(ctx().dialect);
  });
  afterEach(async function () {
    this.timeout(60_000);
    await store.destroy();
  });

  it('loses nothing while reads keep running, and both key holders read afterwards', async function () {
    this.timeout(120_000);
    const seeded = await seed(store, 120);
    const oldKey = store.masterKey;
    const newKey = MasterKey.generate();
    const reader = uncached(store, oldKey);
    let reads = 0;
    let done = false;
    const failures: unknown[] = [];
    const readLoop = (async () => {
      // Bounded: at most 100k reads, and it stops when the rotation ends.
      for (let i = 0; !done && i < 100_000; i++) {
        const { row, secret } = seeded[i % seeded.length] ?? seeded[0]!;
        try {
          if ((await reader.decryptSecret(row)) !== secret)
            failures.push(new Error('wrong plaintext'));
          reads++;
        } catch (err) {
          failures.push(err);
        }
        // Requests arrive as separate events in a service; without this the loop would run
        // on microtasks alone and starve the rotation's turns.
        await nextTick();
      }
    })();
    let readsDuring = 0;
    const result = await rotateMasterKey(store.db, oldKey, newKey, {
      batchSize: 10,
      onBatch: () => {
        readsDuring = reads;
      },
    });
    done = true;
    await readLoop;
    assert.deepEqual(failures, []);
    assert.equal(result.status, 'rotated');
    assert.equal(result.rotated, 120);
    assert.ok(result.batches >= 12);
    assert.ok(readsDuring > 0, 'reads answered while the rotation ran');
    const keys = await store.db.selectFrom('data_keys').selectAll().execute();
    assert.ok(
      keys.every((k) => k.master_key_id === newKey.id && k.previous_master_key_id === oldKey.id),
    );
    await assertAllDecrypt(uncached(store, newKey), seeded);
    await assertAllDecrypt(uncached(store, oldKey), seeded);
    assert.equal(await verifyMasterKey(store.db, newKey), 'verified');
    await assert.rejects(verifyMasterKey(store.db, oldKey), KeyMismatchError);
    // A service still on the old key reads, but does not mint keys the new one could not read.
    const [newcomer] = await addRawUsers(store.db, 1);
    await assert.rejects(
      uncached(store, oldKey).encryptSecret(owner(newcomer!, 'row'), 'x'),
      (err: unknown) => err instanceof AppError && err.code === 'SERVICE_UNAVAILABLE',
    );
    const enc = await uncached(store, newKey).encryptSecret(owner(newcomer!, 'row'), 'fresh');
    assert.equal(
      await uncached(store, newKey).decryptSecret({ ...owner(newcomer!, 'row'), ...enc }),
      'fresh',
    );
  });

  it('an interrupted rotation keeps serving the old key and finishes when run again', async function () {
    this.timeout(120_000);
    const seeded = await seed(store, 30);
    const oldKey = store.masterKey;
    const newKey = MasterKey.generate();
    const first = await rotateMasterKey(store.db, oldKey, newKey, { batchSize: 10, maxBatches: 1 });
    assert.deepEqual(first, { status: 'interrupted', rotated: 10, batches: 1 });
    const ids = (await store.db.selectFrom('data_keys').select('master_key_id').execute()).map(
      (r) => r.master_key_id,
    );
    assert.equal(ids.filter((id) => id === newKey.id).length, 10);
    assert.equal(ids.filter((id) => id === oldKey.id).length, 20);
    // Mid-rotation the old key still starts the service and reads every secret.
    assert.equal(await verifyMasterKey(store.db, oldKey), 'verified');
    await assertAllDecrypt(uncached(store, oldKey), seeded);
    const [newcomer] = await addRawUsers(store.db, 1);
    await assert.rejects(
      uncached(store, oldKey).encryptSecret(owner(newcomer!, 'r'), 'x'),
      AppError,
    );

    const second = await rotateMasterKey(store.db, oldKey, newKey, { batchSize: 10 });
    assert.equal(second.status, 'rotated');
    assert.equal(second.rotated, 20);
    await assertAllDecrypt(uncached(store, newKey), seeded);
    const third = await rotateMasterKey(store.db, oldKey, newKey, { batchSize: 10 });
    assert.equal(third.status, 'already_rotated');
    // Once every service runs on the new key, the old key can be made useless.
    await assert.rejects(forgetPreviousWraps(store.db, oldKey), KeyMismatchError);
    assert.equal(await forgetPreviousWraps(store.db, newKey, 7), 30);
    await assert.rejects(uncached(store, oldKey).decryptSecret(seeded[0]!.row), AppError);
    await assertAllDecrypt(uncached(store, newKey), seeded);
    await assert.rejects(
      rotateMasterKey(store.db, MasterKey.generate(), MasterKey.generate()),
      KeyMismatchError,
    );
  });
});
