// Benchmark: `rotate-key` over 10,000 users on SQLite, run as its own process (as operators run
// it) while this process keeps decrypting secrets with the old key, like a running service.
// Prints the rotation time and how the reads fared meanwhile.
//   npx tsx bench/rotateKey.ts [users]
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setImmediate as nextTick } from 'node:timers/promises';
import { dataKeyAad, KeyRing } from '../service/crypto/keyring';
import { MasterKey, verifyMasterKey } from '../service/crypto/masterKey';
import { openStore } from '../service/store/database';
import { migrateToLatest } from '../service/store/migrations';
import type { CredentialRow } from '../service/store/schema';
import { createCredential, findCredentialForUser } from '../service/store/credentials';

const USERS = Number(process.argv[2] ?? 10_000);
/** Users that also get a secret for the reader to decrypt (every user gets a data key). */
const READ_SET = Math.min(500, USERS);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'xares-bench-'));
  const databaseUrl = `sqlite:${path.join(dir, 'bench.db')}`;
  const store = await openStore(databaseUrl);
  try {
    await migrateToLatest(store.db);
    const oldKey = MasterKey.generate();
    const newKey = MasterKey.generate();
    await verifyMasterKey(store.db, oldKey);

    const t0 = Date.now();
    const userIds: string[] = [];
    for (let start = 0; start < USERS; start += 500) {
      const count = Math.min(500, USERS - start);
      const users = Array.from({ length: count }, (_, i) => ({
        id: randomUUID(),
        username: `bench-${start + i}`,
        password_hash: 'x',
        role: 'user' as const,
        disabled: 0,
        created_at: t0,
        updated_at: t0,
      }));
      await store.db.insertInto('users').values(users).execute();
      // Data keys exactly as the KeyRing makes them, written in bulk to keep set-up short.
      await store.db
        .insertInto('data_keys')
        .values(
          users.map((u) => ({
            user_id: u.id,
            version: 1,
            wrapped_key: oldKey.wrap(randomBytes(32), dataKeyAad(u.id, 1)),
            master_key_id: oldKey.id,
            previous_wrapped_key: null,
            previous_master_key_id: null,
            created_at: t0,
            rotated_at: null,
          })),
        )
        .execute();
      userIds.push(...users.map((u) => u.id));
    }
    const ring = KeyRing.forStore(store, oldKey);
    const readable: { row: CredentialRow; secret: string }[] = [];
    for (const userId of userIds.slice(0, READ_SET)) {
      const secret = `sk-bench-${userId}`;
      const info = await createCredential(store.db, ring, {
        userId,
        type: 'ai_token',
        provider: 'openai',
        name: 'default',
        secret,
      });
      readable.push({ row: (await findCredentialForUser(store.db, userId, info.id))!, secret });
    }
    console.log(
      `seeded ${USERS} users with a data key each (${READ_SET} with a secret) in ${Date.now() - t0} ms`,
    );

    // The reader is a service still on the old key, without a cache, so every read fetches and
    // unwraps the data key: the worst case while rotate-key rewrites those rows.
    const reader = new KeyRing(store.db, store.dialect, oldKey, { cacheTtlMs: 0 });
    const latencies: number[] = [];
    let failures = 0;
    let done = false;
    const readLoop = (async () => {
      for (let i = 0; !done && i < 1_000_000; i++) {
        const pick = readable[(i * 7919) % readable.length]!;
        const start = performance.now();
        try {
          if ((await reader.decryptSecret(pick.row)) !== pick.secret) failures++;
        } catch {
          failures++;
        }
        latencies.push(performance.now() - start);
        await nextTick();
      }
    })();

    const r0 = performance.now();
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(__dirname, '..', 'service', 'cli.ts'), 'rotate-key'],
      {
        env: {
          ...process.env,
          CREDENTIAL_DATABASE_URL: databaseUrl,
          CREDENTIAL_ENCRYPTION_KEY: oldKey.exportHex(),
          CREDENTIAL_NEW_ENCRYPTION_KEY: newKey.exportHex(),
          CREDENTIAL_ENCRYPTION_KEY_FILE: '',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
      child.on('close', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    const rotateMs = performance.now() - r0;
    done = true;
    await readLoop;

    const check = new KeyRing(store.db, store.dialect, newKey, { cacheTtlMs: 0 });
    let verified = 0;
    for (const r of readable) if ((await check.decryptSecret(r.row)) === r.secret) verified++;
    const underNew = await store.db
      .selectFrom('data_keys')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('master_key_id', '=', newKey.id)
      .executeTakeFirstOrThrow();
    latencies.sort((a, b) => a - b);
    console.log(
      `rotate-key process: exit ${code}, ${rotateMs.toFixed(0)} ms wall (including Node start-up)`,
    );
    console.log(`  ${output.trim().split('\n').pop()}`);
    console.log(`data keys under the new key: ${Number(underNew.n)}/${USERS}`);
    console.log(
      `reads meanwhile: ${latencies.length} answered (${((latencies.length / rotateMs) * 1000).toFixed(0)}/s), ${failures} failed; ` +
        `latency p50 ${percentile(latencies, 50).toFixed(2)} ms, p99 ${percentile(latencies, 99).toFixed(2)} ms, max ${percentile(latencies, 100).toFixed(2)} ms`,
    );
    console.log(`after rotation: ${verified}/${readable.length} secrets decrypt with the new key`);
    if (code !== 0 || failures > 0 || verified !== readable.length) process.exitCode = 1;
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
