import assert from 'node:assert/strict';
import { AppError } from '../../../service/errors';
import { listAudit } from '../../../service/audit/audit';
import { createCredential, findCredentialForUser } from '../../../service/store/credentials';
import { MARK_USED_INTERVAL_MS, revealSecret } from '../../../service/crypto/secrets';
import { forEachDialect } from '../../support/databases';
import { addTestUser } from '../../support/fixtures';

forEachDialect('store/secrets (fail closed)', (ctx) => {
  async function setup(secret: string) {
    const user = await addTestUser(ctx().db);
    const info = await createCredential(ctx().db, ctx().keyring, {
      userId: user.id,
      type: 'git_token',
      provider: 'github',
      name: 'default',
      secret,
    });
    const row = await findCredentialForUser(ctx().db, user.id, info.id);
    assert.ok(row);
    return { user, row };
  }

  it('writes the audit row, then returns the secret and marks it used', async () => {
    const { user, row } = await setup('ghp_revealed_ok_42');
    const secret = await revealSecret(ctx().db, ctx().keyring, row, {
      userId: user.id,
      username: user.username,
      action: 'inject',
      workspaceId: 'ws1',
      ipAddress: '127.0.0.1',
      userAgent: 'test',
    });
    assert.equal(secret, 'ghp_revealed_ok_42');
    const { entries } = await listAudit(ctx().db, user.id);
    assert.equal(entries[0]?.action, 'inject');
    assert.equal(entries[0]?.outcome, 'success');
    assert.equal(entries[0]?.credentialId, row.id);
    assert.equal(entries[0]?.workspaceId, 'ws1');
    assert.doesNotMatch(JSON.stringify(entries), /ghp_revealed/);
    assert.ok((await findCredentialForUser(ctx().db, user.id, row.id))?.last_used_at);
  });

  it('audits every reveal but marks the credential used at most once a second', async function () {
    this.timeout(10_000);
    const { user, row } = await setup('ghp_revealed_often_7');
    const reveal = async () => {
      const current = await findCredentialForUser(ctx().db, user.id, row.id);
      assert.ok(current);
      await revealSecret(ctx().db, ctx().keyring, current, { userId: user.id, action: 'read' });
      return (await findCredentialForUser(ctx().db, user.id, row.id))?.last_used_at;
    };
    const first = await reveal();
    assert.ok(first);
    assert.equal(await reveal(), first, 'within the second: not written again');
    await new Promise((resolve) => setTimeout(resolve, MARK_USED_INTERVAL_MS + 50));
    const third = await reveal();
    assert.ok(third && third > first, 'a second later: marked again');
    const { entries } = await listAudit(ctx().db, user.id);
    assert.equal(entries.filter((e) => e.action === 'read' && e.outcome === 'success').length, 3);
  });

  it('refuses another user and audits it as denied', async () => {
    const { row } = await setup('ghp_not_for_you_77');
    const mallory = await addTestUser(ctx().db);
    await assert.rejects(
      revealSecret(ctx().db, ctx().keyring, row, { userId: mallory.id, action: 'read' }),
      (err: unknown) => err instanceof AppError && err.code === 'NOT_FOUND',
    );
    const { entries } = await listAudit(ctx().db, mallory.id);
    assert.equal(entries[0]?.outcome, 'denied');
  });

  it('returns nothing when the audit row cannot be written (audit table really gone)', async () => {
    const { user, row } = await setup('ghp_must_not_leak_99');
    await ctx().db.schema.alterTable('audit_log').renameTo('audit_log_away').execute();
    let revealed: string | undefined;
    try {
      await assert.rejects(
        (async () => {
          revealed = await revealSecret(ctx().db, ctx().keyring, row, {
            userId: user.id,
            action: 'read',
          });
        })(),
        (err: unknown) => {
          assert.ok(err instanceof AppError);
          assert.equal(err.code, 'SERVICE_UNAVAILABLE');
          assert.doesNotMatch(err.message, /ghp_must|audit_log_away|INSERT/);
          return true;
        },
      );
    } finally {
      await ctx().db.schema.alterTable('audit_log_away').renameTo('audit_log').execute();
    }
    assert.equal(revealed, undefined);
    assert.equal((await findCredentialForUser(ctx().db, user.id, row.id))?.last_used_at, null);
  });

  it('does not return a tampered secret, and audits the failure', async () => {
    const { user, row } = await setup('ghp_tampered_55');
    const bytes = Buffer.from(row.secret_ciphertext, 'base64');
    bytes[0] = (bytes[0] ?? 0) ^ 0xff;
    await assert.rejects(
      revealSecret(
        ctx().db,
        ctx().keyring,
        { ...row, secret_ciphertext: bytes.toString('base64') },
        { userId: user.id, action: 'read' },
      ),
      AppError,
    );
    const { entries } = await listAudit(ctx().db, user.id);
    assert.equal(entries[0]?.outcome, 'failure');
  });

  it("a ciphertext copied in the database onto another user's or another row fails", async () => {
    const alice = await setup('ghp_alice_only_0001');
    const bob = await setup('ghp_bob_only_0002');
    const bobSecond = await createCredential(ctx().db, ctx().keyring, {
      userId: bob.user.id,
      type: 'git_token',
      provider: 'gitlab',
      name: 'default',
      secret: 'glpat-bob-0003',
    });
    const stolen = {
      secret_ciphertext: alice.row.secret_ciphertext,
      secret_iv: alice.row.secret_iv,
      secret_tag: alice.row.secret_tag,
      data_key_version: alice.row.data_key_version,
    };
    // Onto another user's row, and onto another row of the same user (bob's own ciphertext).
    await ctx().db.updateTable('credentials').set(stolen).where('id', '=', bob.row.id).execute();
    await ctx()
      .db.updateTable('credentials')
      .set({
        secret_ciphertext: bob.row.secret_ciphertext,
        secret_iv: bob.row.secret_iv,
        secret_tag: bob.row.secret_tag,
      })
      .where('id', '=', bobSecond.id)
      .execute();
    for (const id of [bob.row.id, bobSecond.id]) {
      const row = await findCredentialForUser(ctx().db, bob.user.id, id);
      assert.ok(row);
      await assert.rejects(
        revealSecret(ctx().db, ctx().keyring, row, { userId: bob.user.id, action: 'read' }),
        (err: unknown) => err instanceof AppError && !/ghp_alice|ghp_bob/.test(err.message),
      );
    }
    const own = await findCredentialForUser(ctx().db, alice.user.id, alice.row.id);
    assert.equal(
      await revealSecret(ctx().db, ctx().keyring, own!, { userId: alice.user.id, action: 'read' }),
      'ghp_alice_only_0001',
    );
  });
});
