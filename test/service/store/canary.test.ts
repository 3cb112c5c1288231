// A planted secret must not appear in plain text in the SQLite file or in a MariaDB dump.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { createCredential } from '../../../service/store/credentials';
import { forEachDialect } from '../../support/databases';
import { addTestUser } from '../../support/fixtures';

const CANARY = 'CANARY-ghp-7f3a9c1e5d2b8a4f6e0c';

forEachDialect('store/canary at rest', (ctx) => {
  it('keeps a planted secret out of the stored bytes', async () => {
    const user = await addTestUser(ctx().db);
    for (const [type, provider] of [
      ['git_token', 'github'],
      ['ai_token', 'openai'],
      ['ssh_key', 'ssh'],
    ] as const) {
      await createCredential(ctx().db, ctx().keyring, {
        userId: user.id,
        type,
        provider,
        name: 'default',
        secret: CANARY,
        hint: type === 'ssh_key' ? 'ssh-ed25519' : undefined,
      });
    }
    const needles = [
      CANARY,
      CANARY.slice(-12),
      Buffer.from(CANARY).toString('base64').slice(0, 16),
      Buffer.from(CANARY).toString('hex'),
    ];
    if (ctx().dialect === 'sqlite') {
      await sql`pragma wal_checkpoint(TRUNCATE)`.execute(ctx().db);
      const file = ctx().sqliteFile ?? '';
      const dir = path.dirname(file);
      const files = readdirSync(dir).filter((f) => f.startsWith(path.basename(file)));
      assert.ok(files.length >= 1);
      const bytes = Buffer.concat(files.map((f) => readFileSync(path.join(dir, f))));
      assert.ok(bytes.includes(Buffer.from(user.username)), 'the file holds the data (sanity)');
      for (const n of needles) assert.equal(bytes.includes(Buffer.from(n)), false, `found ${n}`);
      return;
    }
    const url = new URL(ctx().databaseUrl);
    const dumpTool = ['/usr/bin/mariadb-dump', '/usr/bin/mysqldump'].find((p) => existsSync(p));
    let dump: string;
    if (dumpTool) {
      dump = execFileSync(
        dumpTool,
        [
          '-h',
          url.hostname,
          '-P',
          url.port || '3306',
          '-u',
          decodeURIComponent(url.username),
          '--single-transaction',
          '--hex-blob',
          url.pathname.slice(1),
        ],
        {
          env: { ...process.env, MYSQL_PWD: decodeURIComponent(url.password) },
          encoding: 'utf8',
          timeout: 30_000,
          maxBuffer: 64 * 1024 * 1024,
        },
      );
    } else {
      const tables = (await ctx().db.introspection.getTables()).map((t) => t.name);
      const parts: string[] = [];
      for (const t of tables)
        parts.push(
          JSON.stringify((await sql`select * from ${sql.table(t)}`.execute(ctx().db)).rows),
        );
      dump = parts.join('\n');
    }
    assert.ok(dump.includes(user.username), 'the dump holds the data (sanity)');
    for (const n of needles) assert.equal(dump.includes(n), false, `found ${n}`);
  });
});
