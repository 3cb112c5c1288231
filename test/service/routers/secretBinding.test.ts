// A token whose URL was changed in the database (not through the API) is sent nowhere: its test
// answers CONFLICT with a sentence, audited as a failure, and no provider sees a request
// (issue 11, secret metadata authenticated).
import assert from 'node:assert/strict';
import { forEachServiceDialect } from '../../support/service';
import { assertTrpcCode } from './assertions';

forEachServiceDialect('a token moved in the database', (ctx) => {
  it('is tested against no host, and says why', async () => {
    const { svc, fake, store } = ctx();
    await svc.createUser('frank', 'frank-password-1');
    const c = svc.trpc(await svc.login('frank', 'frank-password-1'));
    fake.forgejo.addToken('fj_moved_in_db_0001', { login: 'frank' });
    const created = await c.tokens.create.mutate({
      type: 'git_token',
      provider: 'forgejo',
      token: 'fj_moved_in_db_0001',
      url: fake.urls.forgejoUrl,
    });
    assert.equal((await c.tokens.test.mutate({ id: created.id })).status, 'valid');

    // Someone with write access to the database, but not the key, points it at their server.
    await store.db
      .updateTable('credentials')
      .set({ url: fake.urls.gitlabUrl })
      .where('id', '=', created.id)
      .execute();
    fake.clearRequests();
    const failure = await assertTrpcCode(c.tokens.test.mutate({ id: created.id }), 'CONFLICT');
    assert.match(failure.message, /does not match its record/);
    assert.equal(fake.whereSeen('fj_moved_in_db_0001').length, 0);
    assert.deepEqual(fake.requests(), []);
    const audit = await c.audit.list.query({ action: 'test' });
    assert.ok(audit.entries.some((e) => e.credentialId === created.id && e.outcome === 'failure'));

    // Saving the token again (through the API) makes it usable at the new address.
    await c.tokens.update.mutate({
      id: created.id,
      url: fake.urls.forgejoUrl,
      token: 'fj_moved_in_db_0001',
    });
    assert.equal((await c.tokens.test.mutate({ id: created.id })).status, 'valid');
  });
});
