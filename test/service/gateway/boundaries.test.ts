// The gateway's boundaries, as an attacker in a workspace would try them: hostile paths that try
// to leave the provider's base URL, tokens of the wrong kind, another user's keys, a revoked
// token (at once on this replica, within SESSION_CACHE_MS when another one revoked it), a key
// changed or deleted (never sent after), a provider host that resolves to a forbidden address
// when the connection is made; and its limits: the AI body limit, errors passed through,
// answers streamed unbuffered.
import assert from 'node:assert/strict';
import http from 'node:http';
import { type AddressInfo, isIP } from 'node:net';
import {
  createSession,
  hashToken,
  revokeWorkspaceSessions,
  SESSION_CACHE_MS,
} from '../../../service/accounts/sessions';
import { createGateway, type GatewayDeps } from '../../../service/gateway/proxy';
import type { Resolver } from '../../../service/gateway/upstream';
import { tierSuite } from '../../support/tiers';
import { type GatewayHarness, startGatewayHarness } from './harness';
import { rawRequest } from './rawHttp';

const chatBody = JSON.stringify({
  model: 'gpt-5-mini',
  messages: [{ role: 'user', content: 'hi' }],
});

tierSuite('sqlite', 'AI gateway: boundaries', () => {
  let h: GatewayHarness;
  let token = '';
  let workspaceId = '';
  let evil: http.Server;
  let evilHits = 0;
  let evilHost = '';

  before(async function () {
    this.timeout(30_000);
    h = await startGatewayHarness();
    ({ token, workspaceId } = await h.mint());
    evil = http.createServer((_req, res) => {
      evilHits += 1;
      res.end('{}');
    });
    await new Promise<void>((r) => evil.listen(0, '127.0.0.1', () => r()));
    evilHost = `127.0.0.1:${(evil.address() as AddressInfo).port}`;
  });
  after(async () => {
    await h?.close();
    await new Promise<void>((r) => (evil ? evil.close(() => r()) : r()));
  });
  beforeEach(() => {
    h.fake.clearRequests();
    h.fake.setFaultAll(null);
    h.fake.openai.resetReply();
  });

  const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

  it('hostile paths never leave the provider base URL', async () => {
    const hostile = [
      '/ai/openai/../../trpc/auth.me',
      '/ai/openai/%2e%2e/%2e%2e/trpc/auth.me',
      '/ai/openai/%2E%2E/models',
      '/ai/openai/.%2e/models',
      '/ai/openai/./models',
      '/ai/openai/a%2F..%2F..%2Fmodels',
      '/ai/openai/a%2fb',
      '/ai/openai/a%5c..%5cmodels',
      '/ai/openai/a\\..\\models',
      `/ai/anthropic//${evilHost}/v1/messages`,
      `/ai/anthropic/http://${evilHost}/v1/messages`,
      `/ai/anthropic/http:%2F%2F${evilHost}/v1/messages`,
      '/ai/custom/../openai/models',
      '/ai/custom/%2e%2e/openai/models',
      '/ai/openai/%zz',
      '/ai/openai/x%00y',
      '/ai/openai/x%0d%0aHost:%20evil',
      `http://${evilHost}/ai/openai/models`,
    ];
    for (const target of hostile) {
      const res = await rawRequest(h.svc.url, target, { headers: bearer(token) });
      assert.ok([400, 404].includes(res.status), `${target} answered ${res.status}: ${res.text}`);
      assert.doesNotThrow(() => JSON.parse(res.text), `${target}: ${res.text}`);
    }
    // `@host` in a path is only a path: it reaches the provider's own origin, below its base.
    const at = await rawRequest(h.svc.url, `/ai/openai/@${evilHost}/models`, {
      headers: bearer(token),
    });
    assert.equal(at.status, 404);
    assert.equal(evilHits, 0, 'a request reached another host');
    for (const r of h.fake.requests()) {
      if (r.provider === 'openai') assert.ok(r.path.startsWith('/v1/'), r.path);
    }
  });

  it('a gateway token cannot call any procedure, REST path or git credential', async () => {
    const trpc = h.svc.trpc(token);
    const calls: Array<[string, () => Promise<unknown>]> = [
      ['auth.me', () => trpc.auth.me.query()],
      ['tokens.list', () => trpc.tokens.list.query({})],
      ['sshKeys.list', () => trpc.sshKeys.list.query()],
      ['workspaces.list', () => trpc.workspaces.list.query()],
      ['audit.list', () => trpc.audit.list.query({})],
      ['ai.usage', () => trpc.ai.usage.query()],
      [
        'gitCredential.get',
        () => trpc.gitCredential.get.query({ protocol: 'https', host: 'github.com' }),
      ],
      ['workspaces.inject', () => trpc.workspaces.inject.mutate({ workspaceId })],
    ];
    for (const [name, call] of calls) {
      await assert.rejects(call, (e: { data?: { code?: string } }) => {
        assert.equal(e.data?.code, 'UNAUTHORIZED', name);
        return true;
      });
    }
    const rest = await h.svc.request('GET', '/api/credentials/tokens', { token });
    assert.equal(rest.status, 401);
    const git = await rawRequest(h.svc.url, '/api/git-credential', {
      method: 'POST',
      headers: { ...bearer(token), 'content-type': 'text/plain' },
      body: 'protocol=https\nhost=github.com\n\n',
    });
    assert.ok([401, 404].includes(git.status), `git credential answered ${git.status}`);
    assert.ok(!git.text.includes('password='));
  });

  it('only gateway tokens open the gateway: user and workspace sessions, none, junk are 401', async () => {
    const db = h.svc.service.store.db;
    const ws = await createSession(db, {
      userId: h.userId,
      kind: 'workspace',
      workspaceId,
      timeoutSeconds: 7200,
    });
    const cases: Array<Record<string, string>> = [
      bearer(h.userToken),
      bearer(ws.token),
      { 'x-api-key': h.userToken },
      {},
      bearer('x'.repeat(43)),
      bearer(h.keys.openai),
    ];
    for (const headers of cases) {
      const res = await rawRequest(h.svc.url, '/ai/openai/chat/completions', {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: chatBody,
      });
      assert.equal(res.status, 401, JSON.stringify(Object.keys(headers)));
      assert.match(res.text, /gateway token/);
    }
    assert.equal(h.fake.openai.requests.length, 0);
  });

  it('takes the token as ?key= (Google style) and never passes it on', async () => {
    const res = await rawRequest(
      h.svc.url,
      `/ai/google/v1beta/models/gemini-2.5-flash:generateContent?key=${token}`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ contents: [{ parts: [{ text: 'hi' }] }] }),
      },
    );
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(h.fake.whereSeen(token), []);
    assert.ok(h.fake.whereSeen(h.keys.google).length > 0);
  });

  it("another user's custom name and keys are not reachable", async () => {
    const other = await h.svc.createUser('gw-other', 'gw-other-password');
    const { token: otherToken } = await h.mint(undefined, other.id);
    for (const target of ['/ai/custom/mine/chat/completions', '/ai/openai/chat/completions']) {
      const res = await rawRequest(h.svc.url, target, {
        method: 'POST',
        headers: { ...bearer(otherToken), 'content-type': 'application/json' },
        body: chatBody,
      });
      assert.equal(res.status, 404, res.text);
    }
    assert.equal(h.fake.openai.requests.length, 0);
  });

  it('a revoked token (workspace cleared or removed) stops working', async () => {
    const minted = await h.mint();
    const call = () =>
      rawRequest(h.svc.url, '/ai/openai/models', { headers: bearer(minted.token) });
    assert.equal((await call()).status, 200);
    await revokeWorkspaceSessions(h.svc.service.store.db, minted.workspaceId);
    assert.equal((await call()).status, 401);
  });

  it('a token revoked by another replica (straight in the database) fails within SESSION_CACHE_MS', async () => {
    const minted = await h.mint();
    const call = () =>
      rawRequest(h.svc.url, '/ai/openai/models', { headers: bearer(minted.token) });
    assert.equal((await call()).status, 200);
    // Another process's revoke: this process's session cache is not told.
    await h.svc.service.store.db
      .updateTable('sessions')
      .set({ revoked_at: Date.now() })
      .where('token_hash', '=', hashToken(minted.token))
      .execute();
    const revokedAt = Date.now();
    let status = (await call()).status;
    while (status === 200 && Date.now() - revokedAt < SESSION_CACHE_MS + 1000) {
      await new Promise((r) => setTimeout(r, 50));
      status = (await call()).status;
    }
    const took = Date.now() - revokedAt;
    assert.equal(status, 401);
    assert.ok(took <= SESSION_CACHE_MS + 250, `the revoked token worked for ${took} ms`);
  });

  it('a key changed or deleted through the service is never sent after (no stale cached key)', async () => {
    const trpc = h.svc.trpc(h.userToken);
    const { token: own } = await h.mint();
    const call = () => rawRequest(h.svc.url, '/ai/custom/later/models', { headers: bearer(own) });
    const first = `sk-later-first-${Date.now()}`;
    const second = `sk-later-second-${Date.now()}`;
    h.fake.openai.addToken(first);
    h.fake.openai.addToken(second);
    const created = await trpc.tokens.create.mutate({
      type: 'ai_token',
      provider: 'custom',
      name: 'later',
      token: first,
      envVar: 'LATER_API_KEY',
      url: `${h.fake.openai.origin}/v1`,
    });
    assert.equal((await call()).status, 200);
    assert.ok(h.fake.whereSeen(first).length > 0);
    await trpc.tokens.update.mutate({ id: created.id, token: second });
    h.fake.clearRequests();
    assert.equal((await call()).status, 200);
    assert.deepEqual(h.fake.whereSeen(first), [], 'the old key was sent after the change');
    assert.ok(h.fake.whereSeen(second).length > 0);
    await trpc.tokens.delete.mutate({ id: created.id });
    h.fake.clearRequests();
    assert.equal((await call()).status, 404);
    assert.equal(h.fake.openai.requests.length, 0);
  });

  describe('a provider host resolved when the connection is made (the one address rule)', () => {
    let server: http.Server;
    let origin = '';
    const looked: string[] = [];
    /** Per host name: the answers of its lookups in turn, the last one repeated. */
    const plans = new Map<string, string[][]>();
    const resolve: Resolver = async (hostname) => {
      looked.push(hostname);
      const plan = plans.get(hostname);
      if (!plan) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
      const answer = plan.length > 1 ? plan.shift()! : plan[0]!;
      return answer.map((address) => ({ address, family: isIP(address) }));
    };
    const serveWith = (deps: GatewayDeps) => {
      const handle = createGateway(deps, { resolve });
      return http.createServer((req, res) => void handle(req, res));
    };

    before(async () => {
      server = serveWith(h.svc.service.deps);
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const port = new URL(h.fake.openai.origin).port;
      plans.set('named.localhost', [['127.0.0.1']]);
      plans.set('metadata.localhost', [['169.254.169.254']]);
      plans.set('mixed.localhost', [['127.0.0.1', '169.254.169.254']]);
      plans.set('rebind.localhost', [['127.0.0.1'], ['::ffff:169.254.169.254']]);
      const trpc = h.svc.trpc(h.userToken);
      for (const name of ['named', 'metadata', 'mixed', 'rebind']) {
        // Saved as the user (or an attacker with their session) may: a loopback-looking name,
        // which the URL check at save time cannot resolve.
        await trpc.tokens.create.mutate({
          type: 'ai_token',
          provider: 'custom',
          name,
          token: h.keys.custom,
          envVar: `${name.toUpperCase()}_API_KEY`,
          url: `http://${name}.localhost:${port}/v1`,
        });
      }
    });
    after(async () => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

    const chat = (name: string) =>
      rawRequest(origin, `/ai/custom/${name}/chat/completions`, {
        method: 'POST',
        headers: { ...bearer(token), 'content-type': 'application/json' },
        body: chatBody,
      });

    it('connects to the address it checked', async () => {
      const res = await chat('named');
      assert.equal(res.status, 200, res.text);
      assert.ok(looked.includes('named.localhost'));
      assert.ok(h.fake.whereSeen(h.keys.custom).length > 0);
    });

    it('never connects when the name resolves to a metadata address, or to one among others', async () => {
      for (const name of ['metadata', 'mixed']) {
        const res = await chat(name);
        assert.equal(res.status, 502, `${name}: ${res.text}`);
        assert.equal(JSON.parse(res.text).error.code, 'UPSTREAM_FORBIDDEN');
        assert.match(res.text, /link-local or cloud metadata/);
        assert.ok(looked.includes(`${name}.localhost`));
      }
      assert.equal(h.fake.openai.requests.length, 0, 'a refused call reached the provider');
      // The call is audited, its failure and why included.
      const rows = await h.svc.service.store.db
        .selectFrom('audit_log')
        .select(['outcome', 'detail'])
        .where('action', '=', 'ai_request')
        .where('name', '=', 'metadata')
        .execute();
      assert.equal(rows.length, 1);
      assert.equal(rows[0]!.outcome, 'failure');
      assert.match(rows[0]!.detail ?? '', /HTTP 502.*not allowed/);
    });

    it('a name rebound to a metadata address after a first good answer gets no new connection', async () => {
      assert.equal((await chat('rebind')).status, 200);
      h.fake.clearRequests();
      // Two at once: one may take the pooled connection (made to the checked address), the
      // other needs a new one, whose lookup now answers the metadata address.
      h.fake.openai.reply = { ...h.fake.openai.reply, chunks: 4, intervalMs: 50 };
      const both = await Promise.all([chat('rebind'), chat('rebind')]);
      const statuses = both.map((r) => r.status).sort();
      assert.deepEqual(statuses, [200, 502], both.map((r) => r.text).join('\n'));
      assert.equal(h.fake.openai.requests.length, 1);
    });

    it('an IP literal base URL of a forbidden address is refused without a lookup', async () => {
      const deps = h.svc.service.deps;
      const literal = serveWith({
        ...deps,
        config: {
          ...deps.config,
          providers: { ...deps.config.providers, openaiBaseUrl: 'http://[::ffff:a9fe:a9fe]:80/v1' },
        },
      });
      await new Promise<void>((r) => literal.listen(0, '127.0.0.1', () => r()));
      try {
        const port = (literal.address() as AddressInfo).port;
        const before = looked.length;
        const res = await rawRequest(`http://127.0.0.1:${port}`, '/ai/openai/models', {
          headers: bearer(token),
        });
        assert.equal(res.status, 502, res.text);
        assert.match(res.text, /not allowed/);
        assert.equal(looked.length, before);
      } finally {
        await new Promise<void>((r) => literal.close(() => r()));
      }
    });
  });

  it("passes the provider's status and error body through", async () => {
    h.fake.openai.setFault({ kind: 'status', status: 429 });
    const res = await rawRequest(h.svc.url, '/ai/openai/chat/completions', {
      method: 'POST',
      headers: { ...bearer(token), 'content-type': 'application/json' },
      body: chatBody,
    });
    assert.equal(res.status, 429);
    assert.equal(JSON.parse(res.text).error.type, 'insufficient_quota');
  });

  it('takes bodies far above the API limit, up to the AI body limit (413 beyond)', async () => {
    const big = (bytes: number) =>
      JSON.stringify({
        model: 'gpt-5-mini',
        messages: [{ role: 'user', content: 'x'.repeat(bytes) }],
      });
    const ok = await rawRequest(h.svc.url, '/ai/openai/chat/completions', {
      method: 'POST',
      headers: { ...bearer(token), 'content-type': 'application/json' },
      body: big(2 * 1024 * 1024),
    });
    assert.equal(ok.status, 200, ok.text.slice(0, 200));
    h.fake.clearRequests();
    const tooBig = await rawRequest(h.svc.url, '/ai/openai/chat/completions', {
      method: 'POST',
      headers: { ...bearer(token), 'content-type': 'application/json' },
      body: big(9 * 1024 * 1024),
    });
    assert.equal(tooBig.status, 413);
    assert.equal(h.fake.openai.requests.length, 0);
  });

  it('streams each event as it comes, never buffering the answer', async () => {
    h.fake.openai.reply = { ...h.fake.openai.reply, chunks: 5, intervalMs: 200 };
    const res = await rawRequest(h.svc.url, '/ai/openai/chat/completions', {
      method: 'POST',
      headers: { ...bearer(token), 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-5-mini', messages: [], stream: true }),
    });
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /text\/event-stream/);
    assert.ok(res.chunkTimes.length >= 5, `${res.chunkTimes.length} chunks`);
    const first = res.chunkTimes[0]!;
    const last = res.chunkTimes.at(-1)!;
    assert.ok(first < 150, `first chunk after ${first} ms`);
    assert.ok(last - first >= 800, `chunks spread over ${last - first} ms only`);
  });
});
