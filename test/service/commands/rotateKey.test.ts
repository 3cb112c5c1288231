import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
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

  it('a rotate-key process killed mid-way leaves a consistent database, and a rerun finishes', async function () {
    this.timeout(120_000);
    const ids = await addRawUsers(ctx().db, 40);
    const seeded: { row: CredentialRow; secret: string }[] = [];
    for (const userId of ids) {
      const secret = `sk-killed-${userId.slice(0, 8)}`;
      const info = await createCredential(ctx().db, ctx().keyring, {
        userId,
        type: 'ai_token',
        provider: 'google',
        name: 'default',
        secret,
      });
      seeded.push({ row: (await findCredentialForUser(ctx().db, userId, info.id))!, secret });
    }
    const total = Number(
      (
        await ctx()
          .db.selectFrom('data_keys')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
    const newKey = MasterKey.generate();
    const env = { ...ctx().env, CREDENTIAL_NEW_ENCRYPTION_KEY: newKey.exportHex() };
    // Batches of one key; the first progress line (after 10 batches) is the signal to kill it.
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(__dirname, '..', '..', '..', 'service', 'cli.ts'),
        'rotate-key',
        '--batch-size',
        '1',
      ],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const killed = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.stderr.on('data', (c: Buffer) => {
        if (c.toString().includes('data keys re-wrapped')) child.kill('SIGKILL');
      });
      child.on('close', (_code, signal) => {
        clearTimeout(timer);
        resolve(signal === 'SIGKILL');
      });
    });
    assert.ok(killed, 'the rotation was interrupted');
    const underNew = (
      await ctx().db.selectFrom('data_keys').select('master_key_id').execute()
    ).filter((r) => r.master_key_id === newKey.id).length;
    assert.ok(
      underNew >= 10 && underNew < total,
      `${underNew} of ${total} rotated before the kill`,
    );
    // The database still belongs to the old key, and every secret reads with it.
    assert.equal(await verifyMasterKey(ctx().db, ctx().masterKey), 'verified');
    const oldReader = new KeyRing(ctx().db, ctx().dialect, ctx().masterKey, { cacheTtlMs: 0 });
    for (const { row, secret } of seeded) assert.equal(await oldReader.decryptSecret(row), secret);

    const rerun = await runCli(['rotate-key', '--batch-size', '50'], { env });
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.match(rerun.stdout, new RegExp(`rotated: ${total - underNew} data keys`));
    const newReader = new KeyRing(ctx().db, ctx().dialect, newKey, { cacheTtlMs: 0 });
    for (const { row, secret } of seeded) assert.equal(await newReader.decryptSecret(row), secret);
    assert.equal(await verifyMasterKey(ctx().db, newKey), 'verified');
  });
});
