// The REST mirror at /api/credentials (the original design's paths and bodies) and its OpenAPI
// document, over raw HTTP on both databases.
import assert from 'node:assert/strict';
import { forEachServiceDialect } from '../../support/service';

interface Body {
  [key: string]: unknown;
}

forEachServiceDialect('REST mirror and OpenAPI', (ctx) => {
  let token = '';
  const call = (method: string, path: string, body?: unknown) =>
    ctx().svc.request(method, `/api/credentials${path}`, { token, body });

  before(async function () {
    this.timeout(20_000);
    await ctx().svc.createUser('rest', 'rest-password-1');
    token = await ctx().svc.login('rest', 'rest-password-1');
  });

  it('needs a bearer token', async () => {
    const res = await ctx().svc.request('GET', '/api/credentials/tokens');
    assert.equal(res.status, 401);
    assert.equal((res.body as Body).code, 'UNAUTHORIZED');
  });

  it('POST /tokens infers the type from the provider and answers 201', async () => {
    ctx().fake.github.addToken('ghp_restToken0001', { login: 'rest-gh', scopes: ['repo'] });
    const res = await call('POST', '/tokens', {
      provider: 'github',
      token: 'ghp_restToken0001',
      username: 'rest-gh',
    });
    assert.equal(res.status, 201, res.text);
    const body = res.body as Body;
    assert.equal(body.type, 'git_token');
    assert.equal(body.hint, '…0001');
    assert.ok(!res.text.includes('restToken'));
  });

  it("POST /tokens accepts the original frontend's type: 'ai_provider'", async () => {
    const res = await call('POST', '/tokens', {
      provider: 'openai',
      token: 'sk-rest0002',
      type: 'ai_provider',
    });
    assert.equal(res.status, 201, res.text);
    assert.equal((res.body as Body).type, 'ai_token');
    const wrong = await call('POST', '/tokens', {
      provider: 'github',
      token: 'x',
      type: 'ai_provider',
    });
    assert.equal(wrong.status, 400);
  });

  it('POST /tokens twice is 409', async () => {
    const res = await call('POST', '/tokens', { provider: 'openai', token: 'sk-rest-again' });
    assert.equal(res.status, 409);
  });

  it('GET /tokens answers {tokens: [...]}, filtered by ?type=', async () => {
    const all = await call('GET', '/tokens');
    assert.equal(all.status, 200);
    const tokens = (all.body as { tokens: Body[] }).tokens;
    assert.deepEqual(tokens.map((t) => t.provider).sort(), ['github', 'openai']);
    const ai = await call('GET', '/tokens?type=ai_token');
    assert.deepEqual(
      (ai.body as { tokens: Body[] }).tokens.map((t) => t.provider),
      ['openai'],
    );
  });

  it('PUT /tokens/:id and DELETE /tokens/:id', async () => {
    const created = (
      await call('POST', '/tokens', { provider: 'anthropic', token: 'sk-ant-rest0003' })
    ).body as Body;
    const put = await call('PUT', `/tokens/${String(created.id)}`, {
      token: 'sk-ant-rest0004',
      name: 'work',
    });
    assert.equal(put.status, 200, put.text);
    assert.deepEqual([(put.body as Body).hint, (put.body as Body).name], ['…0004', 'work']);
    const del = await call('DELETE', `/tokens/${String(created.id)}`);
    assert.deepEqual([del.status, del.body], [200, { ok: true }]);
    assert.equal((await call('DELETE', `/tokens/${String(created.id)}`)).status, 404);
  });

  it('POST /test/:provider tests the default token: {success, status, error?}', async () => {
    const ok = await call('POST', '/test/github');
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual([(ok.body as Body).success, (ok.body as Body).status], [true, 'valid']);
    const bad = await call('POST', '/test/openai');
    assert.equal(bad.status, 200);
    const body = bad.body as Body;
    assert.deepEqual([body.success, body.status], [false, 'invalid']);
    assert.equal(typeof body.error, 'string');
    assert.equal((await call('POST', '/test/gitlab')).status, 404);
    assert.equal((await call('POST', '/test/bitbucket')).status, 400);
  });

  it('POST /ssh-keys generates (201), GET /ssh-keys/:name and GET /ssh-keys list it', async () => {
    const res = await call('POST', '/ssh-keys', { type: 'ed25519', name: 'default' });
    assert.equal(res.status, 201, res.text);
    assert.match(String((res.body as Body).publicKey), /^ssh-ed25519 /);
    const byName = await call('GET', '/ssh-keys/default');
    assert.equal((byName.body as Body).publicKey, (res.body as Body).publicKey);
    const list = await call('GET', '/ssh-keys');
    assert.equal((list.body as { keys: Body[] }).keys.length, 1);
    assert.equal((await call('POST', '/ssh-keys', { type: 'rsa' })).status, 400);
    assert.equal((await call('POST', '/ssh-keys', { name: 'default' })).status, 409);
  });

  it('PUT /ssh-keys/:id replaces the key material; DELETE /ssh-keys/:id removes it', async () => {
    const key = (await call('GET', '/ssh-keys/default')).body as Body;
    const put = await call('PUT', `/ssh-keys/${String(key.id)}`, { comment: 'rotated' });
    assert.equal(put.status, 200, put.text);
    assert.notEqual((put.body as Body).fingerprint, key.fingerprint);
    assert.match(String((put.body as Body).publicKey), / rotated$/);
    assert.deepEqual((await call('DELETE', `/ssh-keys/${String(key.id)}`)).body, { ok: true });
    assert.equal((await call('GET', '/ssh-keys/default')).status, 404);
  });

  it('GET /workspace/:id and POST /inject/:id of a container that is not the caller’s are 404', async () => {
    assert.equal((await call('GET', '/workspace/not-mine')).status, 404);
    const inject = await call('POST', '/inject/not-mine');
    assert.equal(inject.status, 404);
    assert.equal((inject.body as Body).code, 'NOT_FOUND');
  });

  it('an unknown path is 404 and a wrong method 405', async () => {
    assert.equal((await call('GET', '/nothing-here')).status, 404);
    assert.equal((await call('PATCH', '/tokens')).status, 405);
  });

  it('/api/openapi.json lists every REST path, needs no session, and is generated from the procedures', async () => {
    const res = await ctx().svc.request('GET', '/api/openapi.json');
    assert.equal(res.status, 200);
    const doc = res.body as {
      openapi: string;
      paths: Record<string, Record<string, { requestBody?: unknown; security?: unknown }>>;
      servers?: Array<{ url: string }>;
    };
    assert.match(doc.openapi, /^3\./);
    const routes = Object.entries(doc.paths)
      .flatMap(([p, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${p}`))
      .sort();
    assert.deepEqual(routes, [
      'DELETE /ssh-keys/{id}',
      'DELETE /tokens/{id}',
      'GET /ssh-keys',
      'GET /ssh-keys/{name}',
      'GET /tokens',
      'GET /workspace/{workspaceId}',
      'POST /inject/{workspaceId}',
      'POST /ssh-keys',
      'POST /test/{provider}',
      'POST /tokens',
      'PUT /ssh-keys/{id}',
      'PUT /tokens/{id}',
    ]);
    assert.equal(doc.servers?.[0]?.url, '/api/credentials');
    // The body schema comes from the zod input: the limits are in the document.
    assert.ok(JSON.stringify(doc.paths['/tokens']?.post?.requestBody).includes('4096'));
    assert.ok(doc.paths['/tokens']?.get?.security);
  });
});
