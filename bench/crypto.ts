// Benchmark: secrets encrypted/decrypted per second through the KeyRing (envelope encryption,
// AAD, base64) against raw AES-256-GCM in the same run, on a temp SQLite store.
//   npx tsx bench/crypto.ts
import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KeyRing } from '../service/crypto/keyring';
import { MasterKey, verifyMasterKey } from '../service/crypto/masterKey';
import { openStore } from '../service/store/database';
import { migrateToLatest } from '../service/store/migrations';
import { owner } from '../test/support/fixtures';

const SECRET = 'ghp_' + 'x'.repeat(36); // the size of a GitHub token
const BUDGET_MS = 2000;

/** Runs `op` repeatedly for about BUDGET_MS; returns operations per second. */
async function measure(op: (i: number) => unknown | Promise<unknown>): Promise<number> {
  for (let i = 0; i < 200; i++) await op(i); // warm-up
  const start = process.hrtime.bigint();
  let n = 0;
  for (;;) {
    for (let j = 0; j < 200; j++) await op(n++);
    const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
    if (elapsed >= BUDGET_MS) return (n / elapsed) * 1000;
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'xares-bench-'));
  const store = await openStore(`sqlite:${path.join(dir, 'bench.db')}`);
  try {
    await migrateToLatest(store.db);
    const master = MasterKey.generate();
    await verifyMasterKey(store.db, master);
    const userId = randomUUID();
    const now = Date.now();
    await store.db
      .insertInto('users')
      .values({
        id: userId,
        username: 'bench',
        password_hash: 'x',
        role: 'user',
        disabled: 0,
        created_at: now,
        updated_at: now,
      })
      .execute();

    // Raw AES-256-GCM, fresh IV each time: the floor the KeyRing is compared with.
    const rawKey = randomBytes(32);
    const plain = Buffer.from(SECRET);
    const aad = Buffer.from(`xares-credentials|secret|v1|${userId}|${randomUUID()}|1`);
    const rawEncrypt = () => {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', rawKey, iv);
      c.setAAD(aad);
      const ct = Buffer.concat([c.update(plain), c.final()]);
      return { iv, ct, tag: c.getAuthTag() };
    };
    const sample = rawEncrypt();
    const rawDecrypt = () => {
      const d = createDecipheriv('aes-256-gcm', rawKey, sample.iv);
      d.setAAD(aad);
      d.setAuthTag(sample.tag);
      return Buffer.concat([d.update(sample.ct), d.final()]);
    };

    const ring = KeyRing.forStore(store, master);
    const rowId = randomUUID();
    const row = {
      ...owner(userId, rowId),
      ...(await ring.encryptSecret(owner(userId, rowId), SECRET)),
    };
    const cold = new KeyRing(store.db, store.dialect, master, { cacheTtlMs: 0 });

    const results = {
      rawEncrypt: await measure(rawEncrypt),
      rawDecrypt: await measure(rawDecrypt),
      keyringEncrypt: await measure(() => ring.encryptSecret(owner(userId, rowId), SECRET)),
      keyringDecrypt: await measure(() => ring.decryptSecret(row)),
      keyringDecryptUncached: await measure(() => cold.decryptSecret(row)),
    };
    const fmt = (n: number) => Math.round(n).toLocaleString('en-US').padStart(10);
    console.log(
      `secret size ${SECRET.length} bytes, ${BUDGET_MS} ms per measurement, Node ${process.version}`,
    );
    console.log(`raw AES-256-GCM encrypt          ${fmt(results.rawEncrypt)} ops/s`);
    console.log(`raw AES-256-GCM decrypt          ${fmt(results.rawDecrypt)} ops/s`);
    console.log(
      `KeyRing encryptSecret (cached)   ${fmt(results.keyringEncrypt)} ops/s   ratio to raw ${(results.keyringEncrypt / results.rawEncrypt).toFixed(2)}`,
    );
    console.log(
      `KeyRing decryptSecret (cached)   ${fmt(results.keyringDecrypt)} ops/s   ratio to raw ${(results.keyringDecrypt / results.rawDecrypt).toFixed(2)}`,
    );
    console.log(
      `KeyRing decryptSecret (no cache) ${fmt(results.keyringDecryptUncached)} ops/s   ratio to raw ${(results.keyringDecryptUncached / results.rawDecrypt).toFixed(2)}  (reads and unwraps the data key each time)`,
    );
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
