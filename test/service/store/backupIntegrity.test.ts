// A backup is authenticated and carries no session (issue 11): whoever can edit a backup file
// cannot make a restore hand a secret to another host, raise a role or swap a password hash,
// and a restore revives no session token.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createSession } from '../../../service/accounts/sessions';
import { restoreBackup, writeBackup } from '../../../service/store/backup';
import { createCredential } from '../../../service/store/credentials';
import { openStore, type Store } from '../../../service/store/database';
import { migrateToLatest } from '../../../service/store/migrations';
import { createEmptyDatabase, forEachDialect } from '../../support/databases';
import { addTestUser } from '../../support/fixtures';

forEachDialect('store/backup integrity', (ctx) => {
  let file = '';
  let lines: string[] = [];

  before(async () => {
    const s = ctx();
    const user = await addTestUser(s.db);
    await createCredential(s.db, s.keyring, {
      userId: user.id,
      type: 'git_token',
      provider: 'forgejo',
      name: 'default',
      secret: 'fj_backup_integrity_1',
      url: 'https://git.example.org',
    });
    await createSession(s.db, { userId: user.id, kind: 'user', timeoutSeconds: 3600 });
    await createSession(s.db, {
      userId: user.id,
      kind: 'workspace',
      workspaceId: 'bacc0000bacc0000',
      timeoutSeconds: 3600,
    });
    file = path.join(s.dir, `integrity-${Date.now()}.jsonl`);
    await writeBackup(s, file, s.masterKey);
    lines = readFileSync(file, 'utf8').trimEnd().split('\n');
  });

  /** Restores `text` into a fresh empty database; answers the error (or null) and what is left. */
  async function restoreText(
    text: string,
    options: { allowUnauthenticated?: boolean } = {},
  ): Promise<{ error: Error | null; users: number }> {
    const target = path.join(ctx().dir, `r-${Math.random().toString(36).slice(2)}.jsonl`);
    writeFileSync(target, text);
    const empty = await createEmptyDatabase(ctx().dialect, ctx().dir);
    const store: Store = await openStore(empty.databaseUrl);
    try {
      await migrateToLatest(store.db);
      let error: Error | null = null;
      try {
        await restoreBackup(store, target, ctx().masterKey, options);
      } catch (err) {
        error = err as Error;
      }
      const users = await store.db.selectFrom('users').select('id').execute();
      const sessions = await store.db.selectFrom('sessions').select('id').execute();
      assert.deepEqual(sessions, [], 'a restore revives no session');
      return { error, users: users.length };
    } finally {
      await store.close();
      await empty.drop();
    }
  }

  it('leaves sessions out, so a restore revives none', async () => {
    assert.ok(!lines.some((l) => l.includes('"t":"sessions"')));
    assert.ok(!lines.some((l) => l.includes('token_hash')));
    const { error, users } = await restoreText(lines.join('\n') + '\n');
    assert.equal(error, null);
    assert.ok(users >= 1);
  });

  it('refuses a backup whose rows were changed, removed or reordered, and restores nothing', async () => {
    const at = lines.findIndex((l) => l.includes('"t":"credentials"'));
    assert.ok(at > 0);
    const userAt = lines.findIndex((l) => l.includes('"t":"users"'));
    const tampered = [
      // The secret's host moved to the attacker's.
      lines.map((l, i) =>
        i === at ? l.replace('https://git.example.org', 'https://attacker.example') : l,
      ),
      // A user made admin.
      lines.map((l, i) => (i === userAt ? l.replace('"role":"user"', '"role":"admin"') : l)),
      // A row removed, and the trailer's count made to fit.
      lines
        .filter((_, i) => i !== at)
        .map((l) =>
          l.startsWith('{"end":true') ? l.replace(/"credentials":1/, '"credentials":0') : l,
        ),
    ];
    for (const text of tampered) {
      const { error, users } = await restoreText(text.join('\n') + '\n');
      assert.ok(error, 'the tampered backup was restored');
      assert.match(error.message, /altered|authenticat/);
      assert.equal(users, 0, 'a refused restore leaves nothing behind');
    }
  });

  it('refuses a backup with its MAC removed or its header made to look older', async () => {
    const stripped = lines.map((l) => l.replace(/,"mac":"[0-9a-f]+"/, ''));
    const older = lines.map((l, i) => (i === 0 ? l.replace(/"version":\d+/, '"version":1') : l));
    for (const text of [stripped, older]) {
      const { error, users } = await restoreText(text.join('\n') + '\n');
      assert.ok(error, 'restored without a MAC');
      assert.match(error.message, /authenticat|MAC|altered/);
      assert.equal(users, 0);
    }
  });

  it('reads a version 1 backup (no MAC, with sessions) only when asked to, reviving no session', async () => {
    const session = JSON.stringify({
      t: 'sessions',
      r: { id: 's1', user_id: 'x', token_hash: 'h', kind: 'user', workspace_id: null },
    });
    const at = lines.findIndex(
      (l) => l.includes('"t":"workspace_injections"') || l.includes('"t":"audit_log"'),
    );
    const v1 = lines
      .map((l, i) => (i === 0 ? l.replace(/"version":\d+/, '"version":1') : l))
      .map((l) => l.replace(/,"mac":"[0-9a-f]+"/, ''));
    v1.splice(at, 0, session);
    const refused = await restoreText(v1.join('\n') + '\n');
    assert.match(refused.error?.message ?? '', /--allow-unauthenticated/);
    const allowed = await restoreText(v1.join('\n') + '\n', { allowUnauthenticated: true });
    assert.equal(allowed.error, null);
    assert.ok(allowed.users >= 1);
  });
});
