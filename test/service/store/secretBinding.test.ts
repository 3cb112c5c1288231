// Secret metadata is authenticated (issue 11): whoever can write the database (or a backup) but
// has no master key changes a credential's type, provider, name, url or env_var, and its secret
// goes nowhere: decryption fails with a clear error, audited. Changes through the service seal
// the secret again; rows sealed before (AAD version 1) keep working and are upgraded.
import assert from 'node:assert/strict';
import { AppError } from '../../../service/errors';
import { SECRET_AAD_VERSION } from '../../../service/crypto/keyring';
import {
  createCredential,
  findCredentialForUser,
  updateCredential,
} from '../../../service/store/credentials';
import { revealSecret, upgradeSecretBindings } from '../../../service/crypto/secrets';
import type { CredentialRow } from '../../../service/store/schema';
import { forEachDialect, type TestStore } from '../../support/databases';
import { addTestUser } from '../../support/fixtures';

forEachDialect('secret metadata bound to the ciphertext', (ctx) => {
  async function forgejoToken(s: TestStore, userId: string, name: string, secret: string) {
    const info = await createCredential(s.db, s.keyring, {
      userId,
      type: 'git_token',
      provider: 'forgejo',
      name,
      secret,
      url: 'https://git.example.org',
    });
    return info.id;
  }

  async function row(s: TestStore, userId: string, id: string): Promise<CredentialRow> {
    const r = await findCredentialForUser(s.db, userId, id);
    assert.ok(r);
    return r;
  }

  const reveal = (s: TestStore, r: CredentialRow) =>
    revealSecret(s.db, s.keyring, r, { userId: r.user_id, action: 'test' });

  const changes: Array<[string, Partial<CredentialRow>]> = [
    ['url', { url: 'https://attacker.example' }],
    ['provider', { provider: 'gitlab' }],
    ['type', { type: 'ai_token', provider: 'custom' }],
    ['name', { name: 'renamed' }],
    ['env_var', { env_var: 'STOLEN_API_KEY' }],
  ];

  for (const [field, set] of changes) {
    it(`a ${field} changed in the database delivers the secret nowhere, audited`, async () => {
      const s = ctx();
      const user = await addTestUser(s.db);
      const id = await forgejoToken(s, user.id, `t-${field}`, `fj_bound_${field}_0001`);
      assert.equal(await reveal(s, await row(s, user.id, id)), `fj_bound_${field}_0001`);
      await s.db.updateTable('credentials').set(set).where('id', '=', id).execute();
      await assert.rejects(reveal(s, await row(s, user.id, id)), (err: unknown) => {
        assert.ok(err instanceof AppError);
        assert.equal(err.code, 'CONFLICT');
        assert.match(err.message, /does not match its record/);
        assert.doesNotMatch(err.message, /fj_bound/);
        return true;
      });
      const failures = await s.db
        .selectFrom('audit_log')
        .selectAll()
        .where('credential_id', '=', id)
        .where('outcome', '=', 'failure')
        .execute();
      assert.equal(failures.length, 1);
    });
  }

  it('changes through the service seal the secret again for the new details', async () => {
    const s = ctx();
    const user = await addTestUser(s.db);
    const id = await forgejoToken(s, user.id, 'moving', 'fj_bound_moving_0001');
    const before = await row(s, user.id, id);
    await updateCredential(s.db, s.keyring, user.id, id, {
      name: 'moved',
      url: 'https://git2.example.org',
    });
    const after = await row(s, user.id, id);
    assert.notEqual(after.secret_ciphertext, before.secret_ciphertext);
    assert.equal(await reveal(s, after), 'fj_bound_moving_0001');
    // The old seal does not open for the new details: the binding is in the ciphertext.
    await assert.rejects(
      reveal(s, {
        ...after,
        secret_ciphertext: before.secret_ciphertext,
        secret_iv: before.secret_iv,
        secret_tag: before.secret_tag,
      }),
      AppError,
    );
  });

  it('rows sealed before keep working, are upgraded on first use, and cannot be downgraded', async () => {
    const s = ctx();
    const user = await addTestUser(s.db);
    const id = await forgejoToken(s, user.id, 'legacy', 'placeholder');
    const current = await row(s, user.id, id);
    const legacy = await s.keyring.encryptSecret(current, 'fj_legacy_0001', s.db, 1);
    await s.db.updateTable('credentials').set(legacy).where('id', '=', id).execute();
    assert.equal((await row(s, user.id, id)).secret_aad_version, 1);

    assert.equal(await reveal(s, await row(s, user.id, id)), 'fj_legacy_0001');
    const upgraded = await row(s, user.id, id);
    assert.equal(upgraded.secret_aad_version, SECRET_AAD_VERSION);
    assert.equal(await reveal(s, upgraded), 'fj_legacy_0001');

    // Marking it old again does not make its details editable: version 1 does not open it.
    await s.db
      .updateTable('credentials')
      .set({ secret_aad_version: 1, url: 'https://attacker.example' })
      .where('id', '=', id)
      .execute();
    await assert.rejects(reveal(s, await row(s, user.id, id)), AppError);
  });

  it('the service upgrades every old row at start, and leaves the ones that do not open', async () => {
    const s = ctx();
    const user = await addTestUser(s.db);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const id = await forgejoToken(s, user.id, `batch-${i}`, 'placeholder');
      const current = await row(s, user.id, id);
      const legacy = await s.keyring.encryptSecret(current, `fj_batch_${i}`, s.db, 1);
      await s.db.updateTable('credentials').set(legacy).where('id', '=', id).execute();
      ids.push(id);
    }
    // One of them was tampered with while still old (its owner binding breaks version 1 too).
    await s.db
      .updateTable('credentials')
      .set({ secret_tag: Buffer.alloc(16).toString('base64') })
      .where('id', '=', ids[2]!)
      .execute();
    const result = await upgradeSecretBindings(s.db, s.keyring, { batchSize: 2 });
    assert.ok(result.upgraded >= 2);
    assert.ok(result.failed >= 1);
    for (const [i, id] of ids.slice(0, 2).entries()) {
      const r = await row(s, user.id, id);
      assert.equal(r.secret_aad_version, SECRET_AAD_VERSION);
      assert.equal(await reveal(s, r), `fj_batch_${i}`);
    }
    assert.equal((await row(s, user.id, ids[2]!)).secret_aad_version, 1);
    // Nothing left to do the second time but the row that does not open.
    const again = await upgradeSecretBindings(s.db, s.keyring);
    assert.equal(again.upgraded, 0);
  });
});
