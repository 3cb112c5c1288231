// The fake provider APIs themselves, for the parts other suites rely on beyond token tests and
// key registration: repository creation, the control paths of a separate-process run, close().
import assert from 'node:assert/strict';
import { startFakeProviders, type FakeProviders } from '../../support/fakeProviders';
import { tierSuite } from '../../support/tiers';

async function call(
  url: string,
  init: RequestInit = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(3_000) });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

const json = (body: unknown, headers: Record<string, string>): RequestInit => ({
  method: 'POST',
  headers: { 'Content-Type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

tierSuite('unit', 'fake provider APIs', () => {
  let fake: FakeProviders;

  before(async () => {
    fake = await startFakeProviders();
    fake.github.addToken('gh-repo', { login: 'alice' });
    fake.gitlab.addToken('gl-repo', { username: 'alice' });
    fake.forgejo.addToken('fj-repo', { login: 'alice' });
  });
  after(async () => {
    await fake.close();
  });

  it('creates GitHub repositories with the fields the helper scripts read, once per name', async () => {
    const auth = { Authorization: 'token gh-repo' };
    const r = await call(
      `${fake.urls.githubApiUrl}/user/repos`,
      json({ name: 'demo', private: true }, auth),
    );
    assert.equal(r.status, 201);
    assert.equal(r.body.full_name, 'alice/demo');
    assert.equal(r.body.private, true);
    assert.equal(r.body.clone_url, `${fake.github.origin}/alice/demo.git`);
    assert.match(String(r.body.ssh_url), /^git@127\.0\.0\.1:alice\/demo\.git$/);
    assert.ok(r.body.html_url);
    const again = await call(`${fake.urls.githubApiUrl}/user/repos`, json({ name: 'demo' }, auth));
    assert.equal(again.status, 422);
    assert.equal(fake.github.repos.length, 1);
    const anon = await call(`${fake.urls.githubApiUrl}/user/repos`, json({ name: 'x' }, {}));
    assert.equal(anon.status, 401);
  });

  it('creates GitLab projects and Forgejo repositories', async () => {
    const gl = await call(
      `${fake.urls.gitlabUrl}/api/v4/projects`,
      json({ name: 'demo', visibility: 'private' }, { 'PRIVATE-TOKEN': 'gl-repo' }),
    );
    assert.equal(gl.status, 201);
    assert.equal(gl.body.path_with_namespace, 'alice/demo');
    assert.equal(gl.body.http_url_to_repo, `${fake.gitlab.origin}/alice/demo.git`);
    const glAgain = await call(
      `${fake.urls.gitlabUrl}/api/v4/projects`,
      json({ name: 'demo' }, { 'PRIVATE-TOKEN': 'gl-repo' }),
    );
    assert.equal(glAgain.status, 400);
    const fj = await call(
      `${fake.urls.forgejoUrl}/api/v1/user/repos`,
      json({ name: 'demo' }, { Authorization: 'token fj-repo' }),
    );
    assert.equal(fj.status, 201);
    assert.equal(fj.body.full_name, 'alice/demo');
    const fjAgain = await call(
      `${fake.urls.forgejoUrl}/api/v1/user/repos`,
      json({ name: 'demo' }, { Authorization: 'token fj-repo' }),
    );
    assert.equal(fjAgain.status, 409);
  });

  it('can be driven over HTTP from another process', async () => {
    const base = fake.openai.origin;
    assert.equal(
      (await call(`${base}/__fake/token`, json({ token: 'sk-remote' }, {}))).status,
      204,
    );
    const ok = await call(`${fake.urls.openaiBaseUrl}/models`, {
      headers: { Authorization: 'Bearer sk-remote' },
    });
    assert.equal(ok.status, 200);
    await call(`${base}/__fake/fault`, json({ fault: { kind: 'status', status: 503 } }, {}));
    assert.equal(
      (
        await call(`${fake.urls.openaiBaseUrl}/models`, {
          headers: { Authorization: 'Bearer sk-remote' },
        })
      ).status,
      503,
    );
    await call(`${base}/__fake/fault`, json({ fault: null }, {}));
    const log = await fetch(`${base}/__fake/requests`, { signal: AbortSignal.timeout(3_000) }).then(
      (r) => r.json() as Promise<unknown[]>,
    );
    assert.equal(log.length, 2);
  });

  it('finds secrets in headers, Basic auth, URLs and bodies', async () => {
    fake.clearRequests();
    const basic = Buffer.from('x:gh-repo').toString('base64');
    await call(`${fake.urls.githubApiUrl}/user`, { headers: { Authorization: `Basic ${basic}` } });
    await call(`${fake.urls.googleAiBaseUrl}/v1beta/models?key=in-url-secret`);
    await call(
      `${fake.urls.githubApiUrl}/user/repos`,
      json({ name: 'body-secret-x' }, { Authorization: 'token gh-repo' }),
    );
    assert.deepEqual(
      fake.whereSeen('gh-repo').map((s) => s.location),
      ['header:authorization', 'header:authorization'],
    );
    assert.deepEqual(
      fake.whereSeen('in-url-secret').map((s) => s.location),
      ['url'],
    );
    assert.deepEqual(
      fake.whereSeen('body-secret-x').map((s) => s.location),
      ['body'],
    );
  });

  it('closes promptly while an answer is held back', async () => {
    const other = await startFakeProviders();
    other.github.setFault({ kind: 'slow', delayMs: 60_000 });
    const pending = fetch(`${other.urls.githubApiUrl}/user`).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    await other.close();
    assert.ok(Date.now() - started < 1_000);
    assert.ok((await pending) instanceof Error);
  });
});
