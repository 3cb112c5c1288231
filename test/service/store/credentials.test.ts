import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { AppError } from '../../../service/errors';
import {
  createCredential,
  deleteAllCredentials,
  deleteCredential,
  findCredentialByName,
  findCredentialForUser,
  listCredentials,
  recordTestResult,
  updateCredential,
} from '../../../service/store/credentials';
import { forEachDialect } from '../../support/databases';
import { addTestUser } from '../../support/fixtures';

const isCode = (code: string) => (err: unknown) => err instanceof AppError && err.code === code;

forEachDialect('store/credentials', (ctx) => {
  it('creates an encrypted credential and lists it without secret columns', async () => {
    const user = await addTestUser(ctx().db);
    const info = await createCredential(ctx().db, ctx().keyring, {
      userId: user.id,
      type: 'git_token',
      provider: 'github',
      name: 'default',
      secret: 'ghp_listed_secret_1234',
      username: 'octo',
    });
    assert.equal(info.hint, '…1234');
    assert.equal('secret_ciphertext' in info, false);
    const listed = await listCredentials(ctx().db, user.id);
    assert.equal(listed.length, 1);
    assert.doesNotMatch(JSON.stringify(listed), /ghp_listed|secret_ciphertext/);
    const row = await findCredentialForUser(ctx().db, user.id, info.id);
    assert.ok(row);
    assert.doesNotMatch(row.secret_ciphertext, /ghp_listed/);
    assert.equal(await ctx().keyring.decryptSecret(row), 'ghp_listed_secret_1234');
    const byName = await findCredentialByName(ctx().db, user.id, {
      type: 'git_token',
      provider: 'github',
      name: 'default',
    });
    assert.equal(byName?.id, info.id);
  });

  it('answers CONFLICT for the same user, type, provider and name', async () => {
    const user = await addTestUser(ctx().db);
    const base = {
      userId: user.id,
      type: 'ai_token' as const,
      provider: 'openai' as const,
      name: 'default',
      secret: 'sk-aaaa1111',
    };
    await createCredential(ctx().db, ctx().keyring, base);
    await assert.rejects(createCredential(ctx().db, ctx().keyring, base), (err: unknown) => {
      assert.ok(isCode('CONFLICT')(err));
      assert.doesNotMatch((err as Error).message, /sk-aaaa|INSERT|Duplicate/i);
      return true;
    });
    // Same name under another provider or type is a different credential.
    await createCredential(ctx().db, ctx().keyring, { ...base, provider: 'anthropic' });
    const other = await addTestUser(ctx().db);
    await createCredential(ctx().db, ctx().keyring, { ...base, userId: other.id });
    assert.equal((await listCredentials(ctx().db, user.id, { type: 'ai_token' })).length, 2);
  });

  it('scopes update and delete to the owner', async () => {
    const alice = await addTestUser(ctx().db);
    const bob = await addTestUser(ctx().db);
    const info = await createCredential(ctx().db, ctx().keyring, {
      userId: alice.id,
      type: 'git_token',
      provider: 'gitlab',
      name: 'default',
      secret: 'glpat-old-0000',
    });
    await assert.rejects(
      updateCredential(ctx().db, ctx().keyring, bob.id, info.id, { secret: 'evil' }),
      isCode('NOT_FOUND'),
    );
    assert.equal(await deleteCredential(ctx().db, bob.id, info.id), false);
    assert.equal(await findCredentialForUser(ctx().db, bob.id, info.id), undefined);
    await recordTestResult(ctx().db, alice.id, info.id, { status: 'valid', detail: 'ok' });
    const updated = await updateCredential(ctx().db, ctx().keyring, alice.id, info.id, {
      secret: 'glpat-new-9999',
      username: 'al',
    });
    assert.equal(updated.hint, '…9999');
    assert.equal(updated.username, 'al');
    assert.equal(updated.last_test_status, null, 'a new secret is untested');
    const row = await findCredentialForUser(ctx().db, alice.id, info.id);
    assert.ok(row);
    assert.equal(await ctx().keyring.decryptSecret(row), 'glpat-new-9999');
    assert.equal(await deleteCredential(ctx().db, alice.id, info.id), true);
    assert.equal(await deleteAllCredentials(ctx().db, alice.id), 0);
  });

  it('renaming onto a taken name is CONFLICT and changes nothing', async () => {
    const user = await addTestUser(ctx().db);
    const make = (name: string) =>
      createCredential(ctx().db, ctx().keyring, {
        userId: user.id,
        type: 'git_token',
        provider: 'forgejo',
        name,
        secret: `tok-${name}-xyz1`,
      });
    await make('one');
    const two = await make('two');
    await assert.rejects(
      updateCredential(ctx().db, ctx().keyring, user.id, two.id, { name: 'one' }),
      isCode('CONFLICT'),
    );
    assert.equal((await findCredentialForUser(ctx().db, user.id, two.id))?.name, 'two');
  });

  it('a failed write in a transaction leaves no half-written credential', async () => {
    const user = await addTestUser(ctx().db);
    const credentialId = randomUUID();
    await assert.rejects(
      ctx()
        .db.transaction()
        .execute(async (trx) => {
          const info = await createCredential(trx, ctx().keyring, {
            userId: user.id,
            type: 'ssh_key',
            provider: 'ssh',
            name: 'default',
            secret: '-----BEGIN OPENSSH PRIVATE KEY-----',
            hint: 'ssh-ed25519',
          });
          assert.ok(
            await findCredentialForUser(trx, user.id, info.id),
            'visible inside the transaction',
          );
          // A second write that really fails (the same natural key) must undo the first one.
          await createCredential(trx, ctx().keyring, {
            userId: user.id,
            type: 'ssh_key',
            provider: 'ssh',
            name: 'default',
            secret: 'again',
            hint: 'ssh-ed25519',
          });
        }),
      isCode('CONFLICT'),
    );
    assert.deepEqual(await listCredentials(ctx().db, user.id), []);
    assert.deepEqual(
      await ctx()
        .db.selectFrom('data_keys')
        .select('version')
        .where('user_id', '=', user.id)
        .execute(),
      [],
      'the data key made inside the transaction is gone too',
    );
    void credentialId;
    // And the key ring did not remember the rolled-back key: a fresh credential still round-trips.
    const info = await createCredential(ctx().db, ctx().keyring, {
      userId: user.id,
      type: 'ssh_key',
      provider: 'ssh',
      name: 'default',
      secret: 'after-rollback',
      hint: 'ssh-ed25519',
    });
    const row = await findCredentialForUser(ctx().db, user.id, info.id);
    assert.ok(row);
    assert.equal(await ctx().keyring.decryptSecret(row), 'after-rollback');
  });
});
