// Isolation between users and the limits of workspace sessions (CONTRACT.md sections 4 and 5):
// a by-id access to another user's credential answers NOT_FOUND, is audited as denied and
// changes nothing; a workspace session may only read, ask for git credentials and inject itself.
import assert from 'node:assert/strict';
import { createSession } from '../../../service/accounts/sessions';
import { forEachServiceDialect } from '../../support/service';
import { assertTrpcCode } from './assertions';

forEachServiceDialect('ownership and workspace sessions', (ctx) => {
  let alice = '';
  let bob = '';
  let aliceToken = { id: '' };
  let aliceKey = { id: '' };

  before(async function () {
    this.timeout(20_000);
    const { svc } = ctx();
    await svc.createUser('alice', 'alice-password-1');
    await svc.createUser('bob', 'bob-password-12');
    alice = await svc.login('alice', 'alice-password-1');
    bob = await svc.login('bob', 'bob-password-12');
    ctx().fake.github.addToken('ghp_aliceOwned0001', {
      login: 'alice',
      scopes: ['repo', 'admin:public_key'],
    });
    aliceToken = await svc.trpc(alice).tokens.create.mutate({
      type: 'git_token',
      provider: 'github',
      token: 'ghp_aliceOwned0001',
    });
    aliceKey = await svc.trpc(alice).sshKeys.generate.mutate({});
  });

  async function aliceRows() {
    return ctx()
      .store.db.selectFrom('credentials')
      .selectAll()
      .where('id', 'in', [aliceToken.id, aliceKey.id])
      .orderBy('id')
      .execute();
  }

  async function deniedFor(userName: string) {
    return ctx()
      .store.db.selectFrom('audit_log')
      .selectAll()
      .where('username', '=', userName)
      .where('outcome', '=', 'denied')
      .execute();
  }

  it('bob lists none of alice’s credentials', async () => {
    const b = ctx().svc.trpc(bob);
    assert.deepEqual(await b.tokens.list.query(), []);
    assert.deepEqual(await b.sshKeys.list.query(), []);
    await assertTrpcCode(b.sshKeys.get.query({ name: 'default' }), 'NOT_FOUND');
    const rest = await ctx().svc.request('GET', '/api/credentials/tokens', { token: bob });
    assert.deepEqual(rest.body, { tokens: [] });
  });

  it('bob cannot update, test, delete or register alice’s credentials by id; each try is audited as denied and nothing changes', async () => {
    const b = ctx().svc.trpc(bob);
    const before = await aliceRows();
    const deniedBefore = (await deniedFor('bob')).length;
    ctx().fake.clearRequests();

    await assertTrpcCode(
      b.tokens.update.mutate({ id: aliceToken.id, token: 'ghp_hijack' }),
      'NOT_FOUND',
    );
    await assertTrpcCode(b.tokens.test.mutate({ id: aliceToken.id }), 'NOT_FOUND');
    await assertTrpcCode(b.tokens.delete.mutate({ id: aliceToken.id }), 'NOT_FOUND');
    await assertTrpcCode(b.sshKeys.delete.mutate({ id: aliceKey.id }), 'NOT_FOUND');
    await assertTrpcCode(
      b.sshKeys.register.mutate({ id: aliceKey.id, provider: 'github' }),
      'NOT_FOUND',
    );
    // The token's id is not an SSH key of bob's either, whatever route it takes.
    const put = await ctx().svc.request('PUT', `/api/credentials/tokens/${aliceToken.id}`, {
      token: bob,
      body: { token: 'ghp_hijack' },
    });
    assert.equal(put.status, 404);
    const del = await ctx().svc.request('DELETE', `/api/credentials/ssh-keys/${aliceKey.id}`, {
      token: bob,
    });
    assert.equal(del.status, 404);

    const denied = await deniedFor('bob');
    assert.equal(denied.length - deniedBefore, 7);
    assert.ok(denied.every((d) => [aliceToken.id, aliceKey.id].includes(d.credential_id ?? '')));
    assert.deepEqual(await aliceRows(), before);
    assert.deepEqual(ctx().fake.requests(), [], 'no provider was called');
  });

  it('bob’s answers are the same for alice’s ids and ids that do not exist', async () => {
    const b = ctx().svc.trpc(bob);
    const foreign = await assertTrpcCode(
      b.tokens.delete.mutate({ id: aliceToken.id }),
      'NOT_FOUND',
    );
    const missing = await assertTrpcCode(
      b.tokens.delete.mutate({ id: '00000000-0000-4000-8000-000000000000' }),
      'NOT_FOUND',
    );
    assert.equal(foreign.message, missing.message);
  });

  it('bob gets no git credential from alice’s token', async () => {
    const bobUser = await ctx()
      .store.db.selectFrom('users')
      .select('id')
      .where('username', '=', 'bob')
      .executeTakeFirstOrThrow();
    const bobWs = await createSession(ctx().store.db, {
      userId: bobUser.id,
      kind: 'workspace',
      workspaceId: 'b0b0b0b0b0b0b0b0',
      timeoutSeconds: 3600,
    });
    await assertTrpcCode(
      ctx()
        .svc.trpc(bobWs.token)
        .gitCredential.get.query({ protocol: 'https', host: 'github.com' }),
      'NOT_FOUND',
    );
  });

  describe('a workspace session', () => {
    let ws = '';
    before(async () => {
      const user = await ctx()
        .store.db.selectFrom('users')
        .select('id')
        .where('username', '=', 'alice')
        .executeTakeFirstOrThrow();
      const created = await createSession(ctx().store.db, {
        userId: user.id,
        kind: 'workspace',
        workspaceId: 'c0ffee00c0ffee00',
        timeoutSeconds: 3600,
      });
      ws = created.token;
    });

    it('may call auth.me, the lists and gitCredential.get', async () => {
      const w = ctx().svc.trpc(ws);
      const me = await w.auth.me.query();
      assert.deepEqual(
        { kind: me.sessionKind, ws: me.workspaceId },
        { kind: 'workspace', ws: 'c0ffee00c0ffee00' },
      );
      assert.equal((await w.tokens.list.query()).length, 1);
      assert.equal((await w.sshKeys.list.query()).length, 1);
      // Its own workspace's trail only: nothing happened there yet.
      assert.deepEqual((await w.audit.list.query({})).entries, []);
      const cred = await w.gitCredential.get.query({ protocol: 'https', host: 'github.com' });
      assert.equal(cred.password, 'ghp_aliceOwned0001');
      const read = await ctx()
        .store.db.selectFrom('audit_log')
        .selectAll()
        .where('action', '=', 'read')
        .where('workspace_id', '=', 'c0ffee00c0ffee00')
        .execute();
      assert.equal(read.length, 1);
    });

    it('is FORBIDDEN everything else', async () => {
      const w = ctx().svc.trpc(ws);
      const calls: Array<() => Promise<unknown>> = [
        () => w.tokens.create.mutate({ type: 'ai_token', provider: 'openai', token: 'sk-x' }),
        () => w.tokens.update.mutate({ id: aliceToken.id, name: 'x' }),
        () => w.tokens.delete.mutate({ id: aliceToken.id }),
        () => w.tokens.test.mutate({ id: aliceToken.id }),
        () => w.sshKeys.generate.mutate({ replace: true }),
        () => w.sshKeys.get.query({ name: 'default' }),
        () => w.sshKeys.delete.mutate({ id: aliceKey.id }),
        () => w.sshKeys.register.mutate({ id: aliceKey.id, provider: 'github' }),
        () => w.settings.get.query(),
        () => w.settings.update.mutate({ autoInject: false }),
        () => w.audit.export.query({ format: 'json' }),
        () => w.workspaces.clear.mutate({ workspaceId: 'c0ffee00c0ffee00' }),
        () => w.credentials.clearAll.mutate({}),
        () => w.auth.logout.mutate({}),
      ];
      for (const call of calls) await assertTrpcCode(call(), 'FORBIDDEN');
      assert.equal((await ctx().svc.trpc(alice).tokens.list.query()).length, 1);
    });

    it('may inject only its own workspace; another is FORBIDDEN and audited as denied', async () => {
      await assertTrpcCode(
        ctx().svc.trpc(ws).workspaces.inject.mutate({ workspaceId: 'someone-else' }),
        'FORBIDDEN',
      );
      const denied = await ctx()
        .store.db.selectFrom('audit_log')
        .selectAll()
        .where('action', '=', 'inject')
        .where('outcome', '=', 'denied')
        .where('workspace_id', '=', 'someone-else')
        .execute();
      assert.equal(denied.length, 1);
    });
  });
});
