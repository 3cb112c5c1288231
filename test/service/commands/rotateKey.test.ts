import assert from 'node:assert/strict';
import { setImmediate as nextTick } from 'node:timers/promises';
import { KeyRing } from '../../../service/crypto/keyring';
import { KeyMismatchError, MasterKey, verifyMasterKey } from '../../../service/crypto/masterKey';
import { createCredential, findCredentialForUser } from '../../../service/store/credentials';
import type { CredentialRow } from '../../../service/store/schema';
import { forEachDialect } from '../../support/databases';
import { hasNoStack, runCli } from '../../support/cli';
import { addRawUsers } from '../../support/fixtures';

forEachDialect('commands: rotate-key', (ctx) => {
  it('refuses missing, malformed and wrong keys with one line each', async function () {
    this.timeout(120_000);
    const none = await runCli(['rotate-key'], { env: ctx().env });
    assert.equal(none.code, 2);
    assert.match(none.stderr, /CREDENTIAL_NEW_ENCRYPTION_KEY/);
    const malformed = await runCli(['rotate-key'], {
      env: { ...ctx().env, CREDENTIAL_NEW_ENCRYPTION_KEY: 'abc' },
    });
    assert.equal(malformed.code, 1);
    assert.match(malformed.stderr, /64 hexadecimal characters/);
    const wrong = await runCli(['rotate-key'], {
      env: {
        ...ctx().env,
        CREDENTIAL_ENCRYPTION_KEY: MasterKey.generate().exportHex(),
        CREDENTIAL_NEW_ENCRYPTION_KEY: MasterKey.generate().exportHex(),
      },
    });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /does not match the one this database was created with/);
    for (const r of [none, malformed, wrong]) assert.ok(hasNoStack(r.stderr), r.stderr);
  });

  it('rotates in another process while this one keeps reading; then only the new key verifies', async function () {
    this.timeout(120_000);
    const ids = await addRawUsers(ctx().db, 60);
    const seeded: { row: CredentialRow; secret: string }[] = [];
    for (const userId of ids) {
      const secret = `ghp_cli_rotation_${userId.slice(0, 8)}`;
      const info = await createCredential(ctx().db, ctx().keyring, {
        userId,
        type: 'git_token',
        provider: 'github',
        name: 'default',
        secret,
      });
      seeded.push({ row: (await findCredentialForUser(ctx().db, userId, info.id))!, secret });
    }
    const newKey = MasterKey.generate();
    const oldReader = new KeyRing(ctx().db, ctx().dialect, ctx().masterKey, { cacheTtlMs: 0 });
    let done = false;
    let reads = 0;
    const failures: unknown[] = [];
    const loop = (async () => {
      for (let i = 0; !done && i < 200_000; i++) {
        const { row, secret } = seeded[i % seeded.length]!;
        try {
          assert.equal(await oldReader.decryptSecret(row), secret);
          reads++;
        } catch (err) {
          failures.push(err);
        }
        await nextTick();
      }
    })();
    const run = await runCli(['rotate-key', '--batch-size', '5'], {
      env: { ...ctx().env, CREDENTIAL_NEW_ENCRYPTION_KEY: newKey.exportHex() },
    });
    done = true;
    await loop;
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /rotated: 60 data keys re-wrapped in 12 batch/);
    assert.deepEqual(failures, []);
    assert.ok(reads > 0);
    const newReader = new KeyRing(ctx().db, ctx().dialect, newKey, { cacheTtlMs: 0 });
    for (const { row, secret } of seeded) {
      assert.equal(await newReader.decryptSecret(row), secret);
      assert.equal(await oldReader.decryptSecret(row), secret);
    }
    assert.equal(await verifyMasterKey(ctx().db, newKey), 'verified');
    await assert.rejects(verifyMasterKey(ctx().db, ctx().masterKey), KeyMismatchError);
    const again = await runCli(['rotate-key'], {
      env: { ...ctx().env, CREDENTIAL_NEW_ENCRYPTION_KEY: newKey.exportHex() },
    });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /already under the new key/);
    // Later tests in this suite use the store's key: rotate back.
    const back = await runCli(['rotate-key'], {
      env: {
        ...ctx().env,
        CREDENTIAL_ENCRYPTION_KEY: newKey.exportHex(),
        CREDENTIAL_NEW_ENCRYPTION_KEY: ctx().masterKeyHex,
      },
    });
    assert.equal(back.code, 0, back.stderr);
    assert.equal(await verifyMasterKey(ctx().db, ctx().masterKey), 'verified');
  });
});
