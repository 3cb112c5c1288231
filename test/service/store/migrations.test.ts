import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import { sql } from 'kysely';
import { migrateToLatest, pendingMigrations } from '../../../service/store/migrations';
import { isUniqueViolation } from '../../../service/store/dialect';
import { forEachDialect } from '../../support/databases';

forEachDialect('store/migrations', (ctx) => {
  it('is migrated to the latest schema and a second run applies nothing', async () => {
    assert.deepEqual(await pendingMigrations(ctx().db), []);
    assert.deepEqual(await migrateToLatest(ctx().db), []);
    const tables = (await ctx().db.introspection.getTables()).map((t) => t.name);
    for (const t of [
      'users',
      'sessions',
      'data_keys',
      'credentials',
      'ssh_key_registrations',
      'user_settings',
      'audit_log',
      'workspace_injections',
      'service_meta',
    ]) {
      assert.ok(tables.includes(t), `table ${t} exists`);
    }
  });

  it('enforces the uniqueness of user, type, provider and name, and foreign keys', async () => {
    const userId = randomUUID();
    const now = Date.now();
    await ctx()
      .db.insertInto('users')
      .values({
        id: userId,
        username: `m-${userId.slice(0, 8)}`,
        password_hash: 'x',
        role: 'user',
        disabled: 0,
        created_at: now,
        updated_at: now,
      })
      .execute();
    const row = (id: string, name = 'default') => ({
      id,
      user_id: userId,
      type: 'git_token' as const,
      provider: 'github' as const,
      name,
      username: null,
      url: null,
      env_var: null,
      hint: '…abcd',
      public_key: null,
      fingerprint: null,
      secret_ciphertext: 'x',
      secret_iv: 'x',
      secret_tag: 'x',
      data_key_version: 1,
      expires_at: null,
      created_at: now,
      updated_at: now,
      last_used_at: null,
      last_test_status: null,
      last_test_detail: null,
      last_test_at: null,
    });
    await ctx().db.insertInto('credentials').values(row(randomUUID())).execute();
    await ctx().db.insertInto('credentials').values(row(randomUUID(), 'work')).execute();
    await assert.rejects(
      ctx().db.insertInto('credentials').values(row(randomUUID())).execute(),
      (err) => isUniqueViolation(err),
    );
    await assert.rejects(
      ctx()
        .db.insertInto('credentials')
        .values({ ...row(randomUUID(), 'orphan'), user_id: randomUUID() })
        .execute(),
      (err) => !isUniqueViolation(err),
    );
  });

  it('runs SQLite in WAL mode with foreign keys on', async function () {
    if (ctx().dialect !== 'sqlite') {
      const { rows } = await sql<{ tz: string }>`select @@session.time_zone as tz`.execute(
        ctx().db,
      );
      assert.equal(rows[0]?.tz, '+00:00');
      return;
    }
    const mode = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(ctx().db);
    assert.equal(mode.rows[0]?.journal_mode, 'wal');
    const fk = await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(ctx().db);
    assert.equal(fk.rows[0]?.foreign_keys, 1);
    assert.ok(statSync(ctx().sqliteFile ?? '').isFile());
  });
});
