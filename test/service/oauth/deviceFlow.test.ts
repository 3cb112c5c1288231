// OAuth device sign-in and refresh through the running service against loopback servers that
// answer as GitHub's and GitLab's OAuth endpoints: authorization_pending, slow_down (never polled
// faster than allowed), access_denied, expired_token, the token landing as a git token with its
// account, renewal when git asks shortly before expiry with the refresh token rotating, a spent
// refresh token marking the token "reconnect", two replicas racing to refresh spending the
// refresh token once, and GitLab OAuth tokens sent only as Bearer.
import assert from 'node:assert/strict';
import { createSession } from '../../../service/accounts/sessions';
import { forEachServiceDialect, startTestService, type TestService } from '../../support/service';
import { assertTrpcCode, trpcFailure } from '../routers/assertions';

const CLIENT = {
  GITHUB_OAUTH_CLIENT_ID: 'Iv1.fakegithubapp',
  GITLAB_OAUTH_CLIENT_ID: 'fake-gitlab-app',
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

forEachServiceDialect(
  'OAuth device sign-in and refresh',
  (ctx) => {
    let session = '';
    let userId = '';
    let svcWithOauth: TestService;

    before(async function () {
      this.timeout(30_000);
      const { svc, fake, store } = ctx();
      // forEachServiceDialect's service has the fakes' URLs; this one adds the OAuth apps and
      // GITHUB_URL, on the same database.
      fake.github.oauth.clientIds.add(CLIENT.GITHUB_OAUTH_CLIENT_ID);
      fake.gitlab.oauth.clientIds.add(CLIENT.GITLAB_OAUTH_CLIENT_ID);
      svcWithOauth = await startTestService({
        dialect: store.dialect,
        database: store,
        env: { ...fake.env, ...CLIENT, GITHUB_URL: fake.github.origin },
      });
      const name = `oa${Math.random().toString(36).slice(2, 8)}`;
      userId = (await svc.createUser(name, 'pw-oauth-123456')).id;
      session = await svcWithOauth.login(name, 'pw-oauth-123456');
    });
    after(async () => svcWithOauth?.close());

    const api = () => svcWithOauth.trpc(session);

    async function connect(provider: 'github' | 'gitlab', account: string, name?: string) {
      const fakeProvider = ctx().fake[provider];
      const started = await api().oauth.start.mutate({ provider, ...(name ? { name } : {}) });
      fakeProvider.oauth.approve(started.userCode, account);
      await sleep(started.interval * 1000 + 50);
      const polled = await api().oauth.poll.query({ flowId: started.flowId });
      assert.equal(polled.status, 'connected', JSON.stringify(polled));
      return polled.token!;
    }

    it('without a client id the service says what the operator must configure', async () => {
      const failure = await trpcFailure(
        ctx().svc.trpc(session).oauth.start.mutate({ provider: 'github' }),
      );
      assert.equal(failure.code, 'BAD_REQUEST');
      assert.match(failure.message, /GITHUB_OAUTH_CLIENT_ID/);
    });

    it('pending, slow_down (no faster polls), then connected: a git token with its account', async function () {
      this.timeout(30_000);
      const { fake } = ctx();
      const started = await api().oauth.start.mutate({ provider: 'github', name: 'work' });
      assert.match(started.verificationUri, /\/login\/device$/);
      assert.equal(started.interval, 1);
      const polls = () => fake.github.oauth.calls.poll;
      const before = polls();
      // Too early: answered without asking GitHub.
      assert.equal((await api().oauth.poll.query({ flowId: started.flowId })).status, 'pending');
      assert.equal(polls(), before);
      await sleep(1100);
      assert.equal((await api().oauth.poll.query({ flowId: started.flowId })).status, 'pending');
      assert.equal(polls(), before + 1);
      fake.github.oauth.slowDown(started.userCode);
      await sleep(1100);
      assert.equal((await api().oauth.poll.query({ flowId: started.flowId })).status, 'pending');
      assert.equal(polls(), before + 2);
      // slow_down: 5 s more between polls, so two seconds later GitHub is not asked again.
      fake.github.oauth.approve(started.userCode, 'octo-work');
      await sleep(2000);
      assert.equal((await api().oauth.poll.query({ flowId: started.flowId })).status, 'pending');
      assert.equal(polls(), before + 2);
      await sleep(4200);
      const done = await api().oauth.poll.query({ flowId: started.flowId });
      assert.equal(done.status, 'connected', JSON.stringify(done));
      assert.equal(done.token?.source, 'oauth');
      assert.equal(done.token?.name, 'work');
      assert.equal(done.token?.username, 'octo-work');
      assert.equal(done.token?.provider, 'github');
      assert.ok(done.token?.expiresAt);
      assert.ok(!JSON.stringify(done).includes('ghu_'), 'a token value in the answer');
      // polling a finished flow answers the same, and another user cannot see it
      assert.equal((await api().oauth.poll.query({ flowId: started.flowId })).status, 'connected');
      await assertTrpcCode(
        ctx()
          .svc.trpc(await otherUser())
          .oauth.poll.query({ flowId: started.flowId }),
        'NOT_FOUND',
      );
    });

    async function otherUser(): Promise<string> {
      const name = `ob${Math.random().toString(36).slice(2, 8)}`;
      await ctx().svc.createUser(name, 'pw-other-123456');
      return ctx().svc.login(name, 'pw-other-123456');
    }

    it('access_denied and expired_token end the sign-in', async function () {
      this.timeout(20_000);
      const { fake } = ctx();
      const denied = await api().oauth.start.mutate({ provider: 'gitlab', name: 'denied' });
      fake.gitlab.oauth.deny(denied.userCode);
      await sleep(1100);
      const d = await api().oauth.poll.query({ flowId: denied.flowId });
      assert.deepEqual([d.status, d.token], ['denied', undefined]);
      const expired = await api().oauth.start.mutate({ provider: 'github', name: 'expired' });
      fake.github.oauth.expire(expired.userCode);
      await sleep(1100);
      assert.equal((await api().oauth.poll.query({ flowId: expired.flowId })).status, 'expired');
      const names = (await api().tokens.list.query({ type: 'git_token' })).map((t) => t.name);
      assert.ok(!names.includes('denied') && !names.includes('expired'));
    });

    it('renews the token when git asks shortly before expiry; a spent refresh token marks it', async function () {
      this.timeout(30_000);
      const { fake, store } = ctx();
      fake.gitlab.oauth.options.accessSeconds = 60; // inside the renewal margin at once
      const token = await connect('gitlab', 'gl-oauth-user');
      fake.gitlab.oauth.options.accessSeconds = 7200;
      const ws = (
        await createSession(store.db, {
          userId,
          kind: 'workspace',
          workspaceId: 'oauthws01',
          timeoutSeconds: 600,
        })
      ).token;
      const host = new URL(fake.gitlab.origin).host;
      const ask = (svc: TestService) =>
        svc.request('POST', '/api/git-credential', {
          token: ws,
          rawBody: `protocol=http\nhost=${host}\n\n`,
          headers: { 'content-type': 'text/plain' },
        });
      const refreshes = fake.gitlab.oauth.calls.refresh;
      const first = await ask(svcWithOauth);
      assert.equal(first.status, 200, first.headers.get('x-xares-error') ?? '');
      assert.equal(fake.gitlab.oauth.calls.refresh, refreshes + 1);
      const password = /^password=(.*)$/m.exec(first.text)![1]!;
      const expiry = Number(/^password_expiry_utc=(\d+)$/m.exec(first.text)![1]);
      assert.ok(expiry * 1000 > Date.now() + 3600_000, 'the renewed token expires in two hours');
      // Not due any more: no second refresh, the same token.
      const second = await ask(svcWithOauth);
      assert.equal(/^password=(.*)$/m.exec(second.text)![1], password);
      assert.equal(fake.gitlab.oauth.calls.refresh, refreshes + 1);
      // GitLab takes OAuth tokens only as Bearer: a test says valid, and never sent PRIVATE-TOKEN.
      const tested = await api().tokens.test.mutate({ id: token.id });
      assert.equal(tested.status, 'valid', tested.detail);
      assert.deepEqual(
        [...new Set(fake.whereSeen(password).map((s) => s.location))],
        ['header:authorization'],
      );

      // Someone spent the refresh token (or GitLab revoked it): the token is marked.
      await store.db
        .updateTable('credentials')
        .set({ expires_at: Date.now() + 1000 })
        .where('id', '=', token.id)
        .execute();
      fake.gitlab.oauth.spendAllRefreshTokens();
      await sleep(1100); // the list cache
      const third = await ask(svcWithOauth);
      assert.equal(third.status, 200);
      const listed = (await api().tokens.list.query({ type: 'git_token' })).find(
        (t) => t.id === token.id,
      )!;
      assert.equal(listed.lastTest?.status, 'invalid');
      assert.match(listed.lastTest?.detail ?? '', /reconnect GitLab/);
      const calls = fake.gitlab.oauth.calls.refresh;
      await ask(svcWithOauth);
      assert.equal(
        fake.gitlab.oauth.calls.refresh,
        calls,
        'a refused refresh token was tried again',
      );
      // The refresh token is never in the database in plain text, nor in the logs.
      const audit = await api().audit.list.query({});
      assert.ok(audit.entries.some((e) => e.detail?.includes('refresh token used')));
    });

    it('two replicas asking at once spend the refresh token once and hand out the same token', async function () {
      this.timeout(30_000);
      const { fake, store, svc } = ctx();
      fake.github.oauth.options.accessSeconds = 60;
      await connect('github', 'octo-race', 'race');
      fake.github.oauth.options.accessSeconds = 28_800;
      const ws = (
        await createSession(store.db, {
          userId,
          kind: 'workspace',
          workspaceId: 'oauthws02',
          timeoutSeconds: 600,
        })
      ).token;
      // A third replica with the OAuth settings, on the same database: three store connections.
      const third = await startTestService({
        dialect: store.dialect,
        database: store,
        env: { ...fake.env, ...CLIENT, GITHUB_URL: fake.github.origin },
      });
      try {
        const host = new URL(fake.github.origin).host;
        const refreshes = fake.github.oauth.calls.refresh;
        // GitHub's OAuth tokens of this user: `race` has a prefix-free GHE host; ask with path
        // none, so the token named race must be picked by name: give it the only GitHub token.
        await store.db
          .deleteFrom('credentials')
          .where('user_id', '=', userId)
          .where('provider', '=', 'github')
          .where('name', '!=', 'race')
          .execute();
        await sleep(1100);
        const answers = await Promise.all(
          [svcWithOauth, third, svcWithOauth, third].map((s) =>
            s.request('POST', '/api/git-credential', {
              token: ws,
              rawBody: `protocol=http\nhost=${host}\n\n`,
              headers: { 'content-type': 'text/plain' },
            }),
          ),
        );
        for (const a of answers) assert.equal(a.status, 200, a.headers.get('x-xares-error') ?? '');
        const passwords = new Set(answers.map((a) => /^password=(.*)$/m.exec(a.text)![1]));
        assert.equal(
          fake.github.oauth.calls.refresh,
          refreshes + 1,
          'the refresh token was spent twice',
        );
        assert.equal(
          passwords.size,
          1,
          `different tokens handed out: ${[...passwords].join(', ')}`,
        );
        assert.ok(!svc.logs().includes([...passwords][0]!));
      } finally {
        await third.close();
      }
    });
  },
  {},
);
