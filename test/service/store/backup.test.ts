import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { KeyRing } from '../../../service/crypto/keyring';
import { MasterKey, verifyMasterKey } from '../../../service/crypto/masterKey';
import {
  BackupError,
  BackupKeyMismatchError,
  restoreBackup,
  writeBackup,
} from '../../../service/store/backup';
import {
  createCredential,
  findCredentialForUser,
  listCredentials,
} from '../../../service/store/credentials';
import { openStore } from '../../../service/store/database';
import type { DialectName } from '../../../service/store/dialect';
import { migrateToLatest } from '../../../service/store/migrations';
import { listAudit, recordAudit } from '../../../service/audit/audit';
import {
  createEmptyDatabase,
  forEachDialect,
  openTestStore,
  type TestStore,
} from '../../support/databases';
import { addTestUser } from '../../support/fixtures';
import { tierSuite } from '../../support/tiers';

async function plant(store: TestStore) {
  const user = await addTestUser(store.db);
  const secrets = { github: 'ghp_backup_secret_1111', openai: 'sk-backup-secret-2222' } as const;
  await createCredential(store.db, store.keyring, {
    userId: user.id,
    type: 'git_token',
    provider: 'github',
    name: 'default',
    secret: secrets.github,
  });
  await createCredential(store.db, store.keyring, {
    userId: user.id,
    type: 'ai_token',
    provider: 'openai',
    name: 'default',
    secret: secrets.openai,
  });
  await recordAudit(store.db, {
    userId: user.id,
    action: 'create',
    outcome: 'success',
    detail: 'quoted "detail", with comma',
  });
  return { user, secrets };
}

/** Restores `file` into a new empty database of `dialect`, then reads every secret back. */
async function restoreInto(
  dialect: DialectName,
  file: string,
  key: MasterKey,
  dir: string,
  expect: { userId: string; secrets: Record<string, string> },
) {
  const empty = await createEmptyDatabase(dialect, dir);
  const store = await openStore(empty.databaseUrl);
  try {
    await migrateToLatest(store.db);
    const counts = await restoreBackup(store, file, key);
    assert.equal(counts.credentials, 2);
    assert.equal(await verifyMasterKey(store.db, key), 'verified');
    const ring = KeyRing.forStore(store, key);
    const infos = await listCredentials(store.db, expect.userId);
    assert.equal(infos.length, 2);
    for (const info of infos) {
      const row = await findCredentialForUser(store.db, expect.userId, info.id);
      assert.ok(row);
      assert.equal(await ring.decryptSecret(row), expect.secrets[info.provider]);
    }
    const audit = await listAudit(store.db, expect.userId);
    assert.equal(audit.entries[0]?.detail, 'quoted "detail", with comma');
    return { store, drop: empty.drop };
  } catch (err) {
    await store.close();
    await empty.drop();
    throw err;
  }
}

forEachDialect('store/backup', (ctx) => {
  it('writes a 0600 JSON-lines backup with secrets still encrypted and restores it', async () => {
    const { user, secrets } = await plant(ctx());
    const file = path.join(ctx().dir, `b-${Date.now()}.jsonl`);
    const counts = await writeBackup(ctx(), file, ctx().masterKey);
    assert.ok((counts.users ?? 0) >= 1);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const text = readFileSync(file, 'utf8');
    const header = JSON.parse(text.split('\n')[0] ?? '{}') as { format: string; version: number };
    assert.equal(header.format, 'xares-credentials-backup');
    assert.equal(header.version, 2);
    assert.ok(text.includes('"t":"data_keys"'));
    for (const s of Object.values(secrets)) assert.equal(text.includes(s), false);
    await assert.rejects(
      writeBackup(ctx(), file, ctx().masterKey),
      BackupError,
      'never overwrites',
    );
    const { store, drop } = await restoreInto(ctx().dialect, file, ctx().masterKey, ctx().dir, {
      userId: user.id,
      secrets,
    });
    // Restoring again into the now non-empty database is refused, and changes nothing.
    await assert.rejects(restoreBackup(store, file, ctx().masterKey), /not empty/);
    await store.close();
    await drop();
  });

  it('refuses a wrong key, a non-empty database and a truncated file', async () => {
    await plant(ctx());
    const file = path.join(ctx().dir, `c-${Date.now()}.jsonl`);
    await writeBackup(ctx(), file, ctx().masterKey);
    await assert.rejects(restoreBackup(ctx(), file, ctx().masterKey), /not empty/);
    const fresh = await openTestStore(ctx().dialect);
    try {
      // openTestStore made its own key check under another key: refused before any row moves.
      await assert.rejects(
        restoreBackup(fresh, file, MasterKey.generate()),
        BackupKeyMismatchError,
      );
      const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
      const truncated = path.join(ctx().dir, `t-${Date.now()}.jsonl`);
      writeFileSync(truncated, lines.slice(0, -3).join('\n') + '\n');
      const empty = await createEmptyDatabase(ctx().dialect, ctx().dir);
      const target = await openStore(empty.databaseUrl);
      try {
        await migrateToLatest(target.db);
        await assert.rejects(restoreBackup(target, truncated, ctx().masterKey), /incomplete/);
        const users = await target.db.selectFrom('users').select('id').execute();
        assert.deepEqual(users, [], 'a failed restore leaves nothing behind');
      } finally {
        await target.close();
        await empty.drop();
      }
    } finally {
      await fresh.destroy();
    }
  });
});

tierSuite('mysql', 'store/backup across dialects', () => {
  it('restores a SQLite backup into MariaDB and that backup back into SQLite', async function () {
    this.timeout(60_000);
    const source = await openTestStore('sqlite');
    try {
      const { user, secrets } = await plant(source);
      const first = path.join(source.dir, 'sqlite.jsonl');
      await writeBackup(source, first, source.masterKey);
      const intoMysql = await restoreInto('mysql', first, source.masterKey, source.dir, {
        userId: user.id,
        secrets,
      });
      try {
        const second = path.join(source.dir, 'mysql.jsonl');
        await writeBackup(intoMysql.store, second, source.masterKey);
        const back = await restoreInto('sqlite', second, source.masterKey, source.dir, {
          userId: user.id,
          secrets,
        });
        await back.store.close();
        await back.drop();
      } finally {
        await intoMysql.store.close();
        await intoMysql.drop();
      }
    } finally {
      await source.destroy();
    }
  });
});
