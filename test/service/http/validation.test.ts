// Bad input of every kind (CONTRACT.md section 5) over raw HTTP, on tRPC and on the REST mirror:
// 400 or 413 with a message a person can read, and never a stack, SQL or the input echoed back.
import assert from 'node:assert/strict';
import { forEachServiceDialect, type TestResponse } from '../../support/service';

interface TrpcErrorBody {
  error: { message: string; data: { code: string; httpStatus: number; stack?: unknown } };
}

function trpcError(res: TestResponse): TrpcErrorBody['error'] {
  const body = res.body as TrpcErrorBody;
  assert.ok(body?.error, `expected a tRPC error body, got ${res.text}`);
  return body.error;
}

/** No stack frames, file paths or SQL in an answer. */
function assertClean(res: TestResponse): void {
  assert.doesNotMatch(
    res.text,
    /\bat [\w.<>]+ \(|\.ts:\d+|node_modules|\bselect\b.*\bfrom\b|\binsert into\b/i,
  );
}

forEachServiceDialect('input validation over HTTP', (ctx) => {
  let token = '';
  before(async function () {
    this.timeout(20_000);
    await ctx().svc.createUser('val', 'val-password-1');
    token = await ctx().svc.login('val', 'val-password-1');
  });

  const create = (body: unknown) =>
    ctx().svc.request('POST', '/trpc/tokens.create', { token, body });

  const cases: Array<{ what: string; input: Record<string, unknown>; says: RegExp }> = [
    { what: 'a number as token', input: { token: 12345 }, says: /token must be text/ },
    {
      what: 'an unknown provider',
      input: { provider: 'bitbucket' },
      says: /provider must be one of/,
    },
    { what: 'an unknown type', input: { type: 'password' }, says: /type must be/ },
    {
      what: 'a provider of the other type',
      input: { provider: 'openai' },
      says: /provider openai is not a git provider/,
    },
    { what: 'LF in a name', input: { name: 'a\nb' }, says: /name may contain only/ },
    { what: 'a space in a name', input: { name: 'my token' }, says: /name may contain only/ },
    { what: 'a name of 101 characters', input: { name: 'n'.repeat(101) }, says: /at most 100/ },
    {
      what: 'CR in a username',
      input: { username: 'alice\r' },
      says: /username must not contain control characters/,
    },
    {
      what: 'NUL in a URL',
      input: { url: 'https://git.example.com/\u0000' },
      says: /url must not contain control characters/,
    },
    {
      what: 'LF in a token',
      input: { token: 'ghp_abc\ndef' },
      says: /token must not contain control characters/,
    },
    {
      what: 'a token of 4097 characters',
      input: { token: 't'.repeat(4097) },
      says: /token must be at most 4096/,
    },
    {
      what: 'plain http off loopback',
      input: { url: 'http://git.example.com' },
      says: /url must use https/,
    },
    { what: 'a URL that is not one', input: { url: 'not a url' }, says: /url must be a URL/ },
    { what: 'a missing token', input: { token: undefined }, says: /token is required/ },
  ];

  for (const c of cases) {
    it(`refuses ${c.what} with 400 and a readable message`, async () => {
      const res = await create({
        type: 'git_token',
        provider: 'github',
        token: 'ghp_ok',
        ...c.input,
      });
      assert.equal(res.status, 400, res.text);
      const error = trpcError(res);
      assert.equal(error.data.code, 'BAD_REQUEST');
      assert.match(error.message, c.says);
      assert.equal(error.data.stack, undefined);
      assertClean(res);
    });
  }

  it('accepts plain http to a loopback forge', async () => {
    const res = await create({
      type: 'git_token',
      provider: 'forgejo',
      token: 'forgejo-ok',
      url: 'http://127.0.0.1:3000',
    });
    assert.equal(res.status, 200, res.text);
  });

  it('accepts a token of exactly 4096 characters', async () => {
    const res = await create({ type: 'ai_token', provider: 'google', token: 'g'.repeat(4096) });
    assert.equal(res.status, 200, res.text);
  });

  it('answers 413 for a body over 64 KiB, on tRPC and REST', async () => {
    const big = { type: 'git_token', provider: 'github', token: 'x'.repeat(70 * 1024) };
    const trpc = await create(big);
    assert.equal(trpc.status, 413);
    assert.equal(trpcError(trpc).data.code, 'PAYLOAD_TOO_LARGE');
    const rest = await ctx().svc.request('POST', '/api/credentials/tokens', { token, body: big });
    assert.equal(rest.status, 413);
    assert.match((rest.body as { message: string }).message, /64 KiB/);
  });

  it('answers 400 for malformed JSON without echoing it', async () => {
    const secretish = '{"token": "ghp_malformedCanary"';
    const trpc = await ctx().svc.request('POST', '/trpc/tokens.create', {
      token,
      rawBody: secretish,
    });
    assert.equal(trpc.status, 400);
    assert.ok(!trpc.text.includes('malformedCanary'));
    const query = await ctx().svc.request(
      'GET',
      `/trpc/tokens.list?input=${encodeURIComponent('{"type":')}`,
      {
        token,
      },
    );
    assert.equal(query.status, 400);
    const rest = await ctx().svc.request('POST', '/api/credentials/tokens', {
      token,
      rawBody: secretish,
    });
    assert.equal(rest.status, 400);
    assert.match((rest.body as { message: string }).message, /not valid JSON/);
    assert.ok(!rest.text.includes('malformedCanary'));
  });

  it('refuses wrong types in queries and mutations alike', async () => {
    const list = await ctx().svc.request(
      'GET',
      `/trpc/audit.list?input=${encodeURIComponent(JSON.stringify({ limit: 'many' }))}`,
      { token },
    );
    assert.equal(list.status, 400);
    assert.match(trpcError(list).message, /limit must be a number/);
    const tooMany = await ctx().svc.request(
      'GET',
      `/trpc/audit.list?input=${encodeURIComponent(JSON.stringify({ limit: 1001 }))}`,
      { token },
    );
    assert.match(trpcError(tooMany).message, /limit must be at most 1000/);
    const rest = await ctx().svc.request('POST', '/api/credentials/tokens', {
      token,
      body: { provider: 'github', token: ['x'] },
    });
    assert.equal(rest.status, 400);
    assert.match((rest.body as { message: string }).message, /token must be text/);
  });

  it('answers 404 for an unknown procedure and 401 before validating for a missing session', async () => {
    const unknown = await ctx().svc.request('GET', '/trpc/tokens.steal', { token });
    assert.equal(unknown.status, 404);
    const anonymous = await ctx().svc.request('POST', '/trpc/tokens.create', {
      body: { token: 5 },
    });
    assert.equal(anonymous.status, 401);
  });

  it('rate limits failed sign-ins with 429 and Retry-After', async () => {
    await ctx().svc.createUser('limited', 'limited-password-1');
    const attempt = (password: string) =>
      ctx().svc.request('POST', '/trpc/auth.login', { body: { username: 'limited', password } });
    for (let i = 0; i < 5; i++) assert.equal((await attempt('wrong-password')).status, 401);
    const blocked = await attempt('wrong-password');
    assert.equal(blocked.status, 429);
    assert.ok(Number(blocked.headers.get('retry-after')) > 0);
    assert.match(trpcError(blocked).message, /try again in \d+ seconds/);
    // Even the right password waits: the limiter is checked first.
    assert.equal((await attempt('limited-password-1')).status, 429);
  });
});

forEachServiceDialect(
  'session timeout from CREDENTIAL_SESSION_TIMEOUT',
  (ctx) => {
    it('a session unused for longer than the timeout answers 401; use slides it', async function () {
      this.timeout(20_000);
      await ctx().svc.createUser('idle', 'idle-password-1');
      const token = await ctx().svc.login('idle', 'idle-password-1');
      const me = () => ctx().svc.request('GET', '/trpc/auth.me', { token });
      // Used every 1.2 s for 3.6 s: the 2 s timeout slides along.
      for (let i = 0; i < 3; i++) {
        await new Promise((r) => setTimeout(r, 1200));
        assert.equal((await me()).status, 200);
      }
      await new Promise((r) => setTimeout(r, 2300));
      assert.equal((await me()).status, 401);
    });
  },
  { env: { CREDENTIAL_SESSION_TIMEOUT: '2' } },
);
