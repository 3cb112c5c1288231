import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import path from 'node:path';
import { KeyRing } from '../../../service/crypto/keyring';
import { createCredential, findCredentialForUser } from '../../../service/store/credentials';
import { openStore } from '../../../service/store/database';
import { createEmptyDatabase, forEachDialect } from '../../support/databases';
import { hasNoStack, runCli } from '../../support/cli';
import { addTestUser } from '../../support/fixtures';

forEachDialect('commands: backup and restore', (ctx) => {
  it('backs up to a 0600 file and restores into an empty database only', async function () {
    this.timeout(120_000);
    const user = await addTestUser(ctx().db);
    const info = await createCredential(ctx().db, ctx().keyring, {
      userId: user.id,
      type: 'ai_token',
      provider: 'anthropic',
      name: 'default',
      secret: 'sk-ant-cli-backup-0001',
    });
    const file = path.join(ctx().dir, 'cli-backup.jsonl');
    const backup = await runCli(['backup', file], { env: ctx().env });
    assert.equal(backup.code, 0, backup.stderr);
    assert.equal(statSync(file).mode & 0o777, 0o600);

    const refused = await runCli(['restore', file], { env: ctx().env });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /not empty/);
    assert.ok(hasNoStack(refused.stderr));

    const empty = await createEmptyDatabase(ctx().dialect, ctx().dir);
    try {
      const env = { ...ctx().env, CREDENTIAL_DATABASE_URL: empty.databaseUrl };
      const wrongKey = await runCli(['restore', file], {
        env: { ...env, CREDENTIAL_ENCRYPTION_KEY: 'cd'.repeat(32) },
      });
      assert.equal(wrongKey.code, 1);
      assert.match(wrongKey.stderr, /does not match the one the backup was made with/);
      const restored = await runCli(['restore', file], { env });
      assert.equal(restored.code, 0, restored.stderr);
      assert.match(restored.stdout, /restored .*credentials/);
      const store = await openStore(empty.databaseUrl);
      try {
        const row = await findCredentialForUser(store.db, user.id, info.id);
        assert.ok(row);
        assert.equal(
          await KeyRing.forStore(store, ctx().masterKey).decryptSecret(row),
          'sk-ant-cli-backup-0001',
        );
      } finally {
        await store.close();
      }
      const exists = await runCli(['backup', file], { env });
      assert.equal(exists.code, 1);
      assert.match(exists.stderr, /already exists/);
    } finally {
      await empty.drop();
    }
    const usage = await runCli(['backup'], { env: ctx().env });
    assert.equal(usage.code, 2);
  });
});
