// POST /api/git-credential over real HTTP: git's own key=value format in and out, a workspace
// token only, an empty body on every refusal (the helper pipes the body straight to git), the
// read audited first, and what an attacker would send.
import assert from 'node:assert/strict';
import { createSession } from '../../../service/accounts/sessions';
import { forEachServiceDialect } from '../../support/service';

const TOKEN = 'ghp_gitCredentialHttp0001';

forEachServiceDialect('POST /api/git-credential', (ctx) => {
  let userToken = '';
  let wsToken = '';
  let userId = '';
  const name = `gc${Math.random().toString(36).slice(2, 8)}`;

  before(async () => {
    const { svc } = ctx();
    userId = (await svc.createUser(name, 'git-credential-pw-1')).id;
    userToken = await svc.login(name, 'git-credential-pw-1');
    await svc.trpc(userToken).tokens.create.mutate({
      type: 'git_token',
      provider: 'github',
      token: TOKEN,
      expiresAt: '2031-01-02T03:04:05Z',
    });
    wsToken = (
      await createSession(ctx().store.db, {
        userId,
        kind: 'workspace',
        workspaceId: 'feedface0001',
        timeoutSeconds: 3600,
      })
    ).token;
  });

  const post = (body: string, token: string | null = wsToken) =>
    ctx().svc.request('POST', '/api/git-credential', {
      token: token ?? undefined,
      rawBody: body,
      headers: { 'content-type': 'text/plain' },
    });

  it("answers git's request in git's format, with the expiry in seconds", async () => {
    const res = await post('protocol=https\nhost=github.com\ncapability[]=authtype\n\n');
    assert.equal(res.status, 200, res.headers.get('x-xares-error') ?? '');
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    assert.equal(
      res.text,
      `username=x-access-token\npassword=${TOKEN}\npassword_expiry_utc=${Date.UTC(2031, 0, 2, 3, 4, 5) / 1000}\n`,
    );
    const reads = await ctx()
      .store.db.selectFrom('audit_log')
      .selectAll()
      .where('user_id', '=', userId)
      .where('action', '=', 'read')
      .where('workspace_id', '=', 'feedface0001')
      .execute();
    assert.ok(reads.some((r) => r.outcome === 'success' && r.provider === 'github'));
  });

  it('a host with no token: 404 and an empty body, so git asks its other helpers', async () => {
    const res = await post('protocol=https\nhost=example.org\n');
    assert.equal(res.status, 404);
    assert.equal(res.text, '');
    // plain http off loopback gets nothing either
    const http = await post('protocol=http\nhost=github.com\n');
    assert.equal(http.status, 404);
    assert.equal(http.text, '');
  });

  it('refuses without a token, with a user session, and with a revoked one; never a body', async () => {
    const none = await post('protocol=https\nhost=github.com\n', null);
    assert.equal(none.status, 401);
    assert.equal(none.text, '');
    assert.match(none.headers.get('x-xares-error') ?? '', /workspace token/);
    const user = await post('protocol=https\nhost=github.com\n', userToken);
    assert.equal(user.status, 403);
    assert.equal(user.text, '');
    const wrong = await post('protocol=https\nhost=github.com\n', 'x'.repeat(43));
    assert.equal(wrong.status, 401);
    assert.ok(!wrong.text.includes(TOKEN) && !user.text.includes(TOKEN));
  });

  it('malformed requests answer 4xx without a body: no =, a host given twice, control characters, too big, GET', async () => {
    for (const body of [
      'protocol=https\nhost github.com\n',
      // a second host must not let a caller pick which one a check sees
      'protocol=https\nhost=example.org\nhost=github.com\n',
      'protocol=https\nhost=github.com\u0000evil\n',
      'protocol=https\n',
      '',
    ]) {
      const res = await post(body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.text, '');
    }
    const big = await post(`protocol=https\nhost=github.com\npath=${'a'.repeat(70_000)}\n`);
    assert.equal(big.status, 413);
    const get = await ctx().svc.request('GET', '/api/git-credential', { token: wsToken });
    assert.equal(get.status, 405);
  });

  it('a failed audit write hands out nothing (503, empty body)', async () => {
    const db = ctx().store.db;
    await db.schema.alterTable('audit_log').renameTo('audit_log_away').execute();
    try {
      const res = await post('protocol=https\nhost=github.com\n');
      assert.equal(res.status, 503);
      assert.equal(res.text, '');
    } finally {
      await db.schema.alterTable('audit_log_away').renameTo('audit_log').execute();
    }
    assert.ok(!ctx().svc.logs().includes(TOKEN), 'the token is in the log');
  });
});
