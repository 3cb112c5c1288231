// The fast path for single GET queries must answer exactly as tRPC's adapter does: the same
// status, envelope, error shape and headers, for successes and every kind of failure.
import assert from 'node:assert/strict';
import { createHttpApp } from '../../../service/http/app';
import { listen, type RunningServer } from '../../../service/http/listen';
import { startTestService, type TestService } from '../../support/service';
import { tierSuite } from '../../support/tiers';

tierSuite('sqlite', 'tRPC query fast path answers like the adapter', () => {
  let svc: TestService;
  let adapterOnly: RunningServer;
  let token = '';

  before(async function () {
    this.timeout(30_000);
    svc = await startTestService({ dialect: 'sqlite' });
    adapterOnly = await listen(createHttpApp(svc.service.deps, { queryFastPath: false }), {
      host: '127.0.0.1',
      port: 0,
    });
    await svc.createUser('fast', 'fast-password-1');
    token = await svc.login('fast', 'fast-password-1');
    await svc
      .trpc(token)
      .tokens.create.mutate({ type: 'ai_token', provider: 'openai', token: 'sk-fast0001' });
  });

  after(async () => {
    await adapterOnly?.close();
    await svc?.close();
  });

  const q = (value: unknown) => `?input=${encodeURIComponent(JSON.stringify(value))}`;
  const cases: Array<{ what: string; path: string; auth: boolean }> = [
    { what: 'a list', path: '/trpc/tokens.list', auth: true },
    { what: 'a list with input', path: `/trpc/tokens.list${q({ type: 'ai_token' })}`, auth: true },
    { what: 'auth.me', path: '/trpc/auth.me', auth: true },
    { what: 'no session', path: '/trpc/tokens.list', auth: false },
    { what: 'invalid input', path: `/trpc/audit.list${q({ limit: 'x' })}`, auth: true },
    { what: 'not found', path: `/trpc/sshKeys.get${q({ name: 'none' })}`, auth: true },
    {
      what: 'no git token',
      path: `/trpc/gitCredential.get${q({ protocol: 'https', host: 'github.com' })}`,
      auth: true,
    },
    { what: 'a mutation over GET', path: '/trpc/tokens.create', auth: true },
    { what: 'an unknown procedure', path: '/trpc/nothing.here', auth: true },
  ];

  for (const c of cases) {
    it(`${c.what}: same status, body and content type`, async () => {
      const headers: Record<string, string> = c.auth ? { authorization: `Bearer ${token}` } : {};
      const [fast, slow] = await Promise.all(
        [svc.url, adapterOnly.url].map((base) =>
          fetch(base + c.path, { headers, signal: AbortSignal.timeout(10_000) }),
        ),
      );
      assert.equal(fast!.status, slow!.status);
      assert.deepEqual(await fast!.json(), await slow!.json());
      assert.match(fast!.headers.get('content-type') ?? '', /^application\/json/);
    });
  }

  it('batched calls go to the adapter and answer each call in order', async () => {
    const input = encodeURIComponent(JSON.stringify({ 0: undefined, 1: { type: 'ai_token' } }));
    const res = await svc.request('GET', `/trpc/auth.me,tokens.list?batch=1&input=${input}`, {
      token,
    });
    assert.equal(res.status, 200, res.text);
    const [me, list] = res.body as [
      { result: { data: { username: string } } },
      { result: { data: Array<{ provider: string }> } },
    ];
    assert.equal(me.result.data.username, 'fast');
    assert.deepEqual(
      list.result.data.map((t) => t.provider),
      ['openai'],
    );
  });
});
