// Secrets reachable with the wrong kind of session (issue 11): the git credential helper's
// plaintext token only for a workspace session, a workspace token's audit view only its own
// workspace, and a token's URL changed only together with the token it is sent to.
import assert from 'node:assert/strict';
import { createSession } from '../../../service/accounts/sessions';
import { forEachServiceDialect } from '../../support/service';
import { assertTrpcCode } from './assertions';

forEachServiceDialect('the kind of session each secret needs', (ctx) => {
  let alice = '';
  let aliceId = '';
  let ws = '';
  let otherWs = '';
  const WS = 'feed0000feed0000';
  const OTHER_WS = 'beef0000beef0000';

  before(async function () {
    this.timeout(20_000);
    const { svc } = ctx();
    aliceId = (await svc.createUser('carol', 'carol-password-1')).id;
    alice = await svc.login('carol', 'carol-password-1');
    ctx().fake.github.addToken('ghp_sessionKinds0001', { login: 'carol', scopes: ['repo'] });
    await svc.trpc(alice).tokens.create.mutate({
      type: 'git_token',
      provider: 'github',
      token: 'ghp_sessionKinds0001',
    });
    const mint = async (workspaceId: string) =>
      (
        await createSession(ctx().store.db, {
          userId: aliceId,
          kind: 'workspace',
          workspaceId,
          timeoutSeconds: 3600,
        })
      ).token;
    ws = await mint(WS);
    otherWs = await mint(OTHER_WS);
  });

  describe('gitCredential.get', () => {
    it('is FORBIDDEN to a user session, audited as denied, and hands out nothing', async () => {
      const failure = await assertTrpcCode(
        ctx().svc.trpc(alice).gitCredential.get.query({ protocol: 'https', host: 'github.com' }),
        'FORBIDDEN',
      );
      assert.ok(!failure.message.includes('ghp_'));
      const rows = await ctx()
        .store.db.selectFrom('audit_log')
        .selectAll()
        .where('user_id', '=', aliceId)
        .where('action', '=', 'read')
        .execute();
      assert.deepEqual(
        rows.map((r) => r.outcome),
        ['denied'],
      );
      const rest = await ctx().svc.request(
        'GET',
        `/trpc/gitCredential.get?input=${encodeURIComponent(JSON.stringify({ protocol: 'https', host: 'github.com' }))}`,
        { token: alice },
      );
      assert.equal(rest.status, 403);
      assert.ok(!rest.text.includes('ghp_sessionKinds0001'));
    });

    it('answers a workspace session', async () => {
      const cred = await ctx()
        .svc.trpc(ws)
        .gitCredential.get.query({ protocol: 'https', host: 'github.com' });
      assert.equal(cred.password, 'ghp_sessionKinds0001');
    });
  });

  describe('audit for a workspace token', () => {
    it('lists only its own workspace’s entries, suspicious bursts included', async () => {
      // Entries of the other workspace and of the user's own sessions exist.
      await ctx()
        .svc.trpc(otherWs)
        .gitCredential.get.query({ protocol: 'https', host: 'github.com' });
      const all = await ctx().svc.trpc(alice).audit.list.query({ limit: 1000 });
      assert.ok(all.entries.some((e) => e.workspaceId === OTHER_WS));
      assert.ok(all.entries.some((e) => e.workspaceId === null));

      const own = await ctx().svc.trpc(ws).audit.list.query({ limit: 1000 });
      assert.ok(own.entries.length > 0);
      assert.ok(
        own.entries.every((e) => e.workspaceId === WS),
        JSON.stringify(own.entries.map((e) => e.workspaceId)),
      );
      for (const s of own.suspicious) assert.ok(s.count > 0);
      const byAction = await ctx().svc.trpc(ws).audit.list.query({ action: 'login' });
      assert.deepEqual(byAction.entries, []);
    });

    it('cannot export the trail', async () => {
      await assertTrpcCode(ctx().svc.trpc(ws).audit.export.query({ format: 'json' }), 'FORBIDDEN');
    });
  });

  describe('tokens.update of a URL', () => {
    it('needs the token again for a git token; the stored one is never sent to the new host', async () => {
      ctx().fake.forgejo.addToken('fj_sessionKinds0001', { login: 'carol' });
      const c = ctx().svc.trpc(alice);
      const created = await c.tokens.create.mutate({
        type: 'git_token',
        provider: 'forgejo',
        token: 'fj_sessionKinds0001',
        url: ctx().fake.urls.forgejoUrl,
      });
      const moved = await assertTrpcCode(
        c.tokens.update.mutate({ id: created.id, url: 'https://attacker.example' }),
        'BAD_REQUEST',
      );
      assert.match(moved.message, /token/);
      await assertTrpcCode(c.tokens.update.mutate({ id: created.id, url: null }), 'BAD_REQUEST');
      const rest = await ctx().svc.request('PUT', `/api/credentials/tokens/${created.id}`, {
        token: alice,
        body: { url: 'https://attacker.example' },
      });
      assert.equal(rest.status, 400);
      const [info] = (await c.tokens.list.query()).filter((t) => t.id === created.id);
      assert.equal(info?.url, ctx().fake.urls.forgejoUrl);

      // The same URL again is no move; with the token the move is the user's own choice.
      await c.tokens.update.mutate({ id: created.id, url: ctx().fake.urls.forgejoUrl });
      const updated = await c.tokens.update.mutate({
        id: created.id,
        url: 'https://git.example.org',
        token: 'fj_sessionKinds0002',
      });
      assert.equal(updated.url, 'https://git.example.org');
    });

    it('needs the token again for a custom AI key', async () => {
      const c = ctx().svc.trpc(alice);
      const created = await c.tokens.create.mutate({
        type: 'ai_token',
        provider: 'custom',
        token: 'sk-custom-sessionKinds',
        envVar: 'CAROL_API_KEY',
        url: 'https://llm.example.org/v1',
      });
      await assertTrpcCode(
        c.tokens.update.mutate({ id: created.id, url: 'https://other.example.org/v1' }),
        'BAD_REQUEST',
      );
      // Other fields change without it.
      const renamed = await c.tokens.update.mutate({ id: created.id, name: 'renamed' });
      assert.equal(renamed.name, 'renamed');
    });
  });
});
