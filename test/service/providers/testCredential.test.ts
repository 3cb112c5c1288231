// Token and key tests against the loopback fake provider APIs: valid, invalid, unreachable
// (slow, refused, reset), server errors, and where each secret travelled.
import assert from 'node:assert/strict';
import type { ProviderUrls } from '../../../service/config';
import { AppError } from '../../../service/errors';
import {
  DEFAULT_TIMEOUT_MS,
  testCredential,
  USER_AGENT,
  type CredentialToTest,
} from '../../../service/providers';
import {
  refusedLoopbackUrl,
  startFakeProviders,
  type FakeProviders,
  type ProviderName,
} from '../../support/fakeProviders';
import { tierSuite } from '../../support/tiers';

const FAST = { timeoutMs: 400 };

interface Case {
  provider: ProviderName;
  cred: (fake: FakeProviders, token: string) => CredentialToTest;
  /** Makes `token` valid at the fake. */
  grant: (fake: FakeProviders, token: string) => void;
  /** The only header that may carry the secret, and how. */
  header: string;
  headerValue: (token: string) => string;
  /** Point the base URL at another address (for the refused case). */
  moveTo: (
    urls: ProviderUrls,
    cred: CredentialToTest,
    base: string,
  ) => [ProviderUrls, CredentialToTest];
}

const cases: Case[] = [
  {
    provider: 'github',
    cred: (_f, token) => ({ type: 'git_token', provider: 'github', token }),
    grant: (f, t) => f.github.addToken(t, { login: 'octo-alice', scopes: ['repo', 'read:user'] }),
    header: 'authorization',
    headerValue: (t) => `Bearer ${t}`,
    moveTo: (u, c, base) => [{ ...u, githubApiUrl: base }, c],
  },
  {
    provider: 'gitlab',
    cred: (_f, token) => ({ type: 'git_token', provider: 'gitlab', token }),
    grant: (f, t) => f.gitlab.addToken(t, { username: 'lab-alice' }),
    header: 'private-token',
    headerValue: (t) => t,
    moveTo: (u, c, base) => [{ ...u, gitlabUrl: base }, c],
  },
  {
    provider: 'forgejo',
    cred: (f, token) => ({ type: 'git_token', provider: 'forgejo', token, url: f.urls.forgejoUrl }),
    grant: (f, t) => f.forgejo.addToken(t, { login: 'forge-alice' }),
    header: 'authorization',
    headerValue: (t) => `token ${t}`,
    moveTo: (u, c, base) => [u, { ...c, url: base }],
  },
  {
    provider: 'openai',
    cred: (_f, token) => ({ type: 'ai_token', provider: 'openai', token }),
    grant: (f, t) => f.openai.addToken(t),
    header: 'authorization',
    headerValue: (t) => `Bearer ${t}`,
    moveTo: (u, c, base) => [{ ...u, openaiBaseUrl: `${base}/v1` }, c],
  },
  {
    provider: 'anthropic',
    cred: (_f, token) => ({ type: 'ai_token', provider: 'anthropic', token }),
    grant: (f, t) => f.anthropic.addToken(t),
    header: 'x-api-key',
    headerValue: (t) => t,
    moveTo: (u, c, base) => [{ ...u, anthropicBaseUrl: base }, c],
  },
  {
    provider: 'google',
    cred: (_f, token) => ({ type: 'ai_token', provider: 'google', token }),
    grant: (f, t) => f.google.addToken(t),
    header: 'x-goog-api-key',
    headerValue: (t) => t,
    moveTo: (u, c, base) => [{ ...u, googleAiBaseUrl: base }, c],
  },
];

let counter = 0;
const newToken = (p: string) => `${p}-secret-${Date.now().toString(36)}-${(counter += 1)}-Zq9`;

function assertNoSecret(result: object, token: string): void {
  assert.ok(
    !JSON.stringify(result).includes(token),
    `result leaks the token: ${JSON.stringify(result)}`,
  );
}

tierSuite('unit', 'provider token tests', () => {
  let fake: FakeProviders;

  before(async () => {
    fake = await startFakeProviders();
  });
  after(async () => {
    await fake.close();
  });
  afterEach(() => {
    fake.setFaultAll(null);
    fake.clearRequests();
  });

  for (const c of cases) {
    describe(c.provider, () => {
      it('answers valid for a good token and sends it only in its header, with a User-Agent', async () => {
        const token = newToken(c.provider);
        c.grant(fake, token);
        const result = await testCredential(c.cred(fake, token), fake.providerUrls);
        assert.equal(result.status, 'valid', result.detail);
        assert.ok(result.detail.length > 10);
        assertNoSecret(result, token);
        const sightings = fake.whereSeen(token);
        assert.ok(sightings.length >= 1);
        for (const s of sightings) {
          assert.equal(s.provider, c.provider);
          assert.equal(
            s.location,
            `header:${c.header}`,
            `token seen at ${s.location} of ${s.path}`,
          );
        }
        for (const r of fake.requests()) {
          assert.equal(r.method, 'GET');
          assert.equal(r.headers[c.header], c.headerValue(token));
          assert.equal(r.headers['user-agent'], USER_AGENT);
          assert.ok(!r.url.includes('?'), `no query string expected: ${r.url}`);
        }
      });

      it('answers invalid for a wrong token', async () => {
        const token = newToken(c.provider);
        const result = await testCredential(c.cred(fake, token), fake.providerUrls);
        assert.equal(result.status, 'invalid', result.detail);
        assertNoSecret(result, token);
      });

      it('answers invalid on 403', async () => {
        const token = newToken(c.provider);
        c.grant(fake, token);
        fake[c.provider].setFault({ kind: 'status', status: 403 });
        const result = await testCredential(c.cred(fake, token), fake.providerUrls);
        assert.equal(result.status, 'invalid', result.detail);
        assert.match(result.detail, /403/);
      });

      it('answers unreachable, with the status, on a server error', async () => {
        const token = newToken(c.provider);
        c.grant(fake, token);
        fake[c.provider].setFault({ kind: 'status', status: 503 });
        const result = await testCredential(c.cred(fake, token), fake.providerUrls);
        assert.equal(result.status, 'unreachable');
        assert.match(result.detail, /HTTP 503/);
        fake[c.provider].setFault({ kind: 'status', status: 500 });
        const again = await testCredential(c.cred(fake, token), fake.providerUrls);
        assert.equal(again.status, 'unreachable');
        assert.match(again.detail, /HTTP 500/);
        assertNoSecret(again, token);
      });

      it('answers unreachable within its timeout when the provider is slow', async () => {
        const token = newToken(c.provider);
        c.grant(fake, token);
        fake[c.provider].setFault({ kind: 'slow', delayMs: 5_000 });
        const started = Date.now();
        const result = await testCredential(c.cred(fake, token), fake.providerUrls, FAST);
        const elapsed = Date.now() - started;
        assert.equal(result.status, 'unreachable');
        assert.match(result.detail, /did not answer within 0\.4 s/);
        assert.ok(elapsed >= 350 && elapsed < 2_000, `took ${elapsed} ms`);
      });

      it('answers unreachable when the connection is refused or reset', async () => {
        const token = newToken(c.provider);
        c.grant(fake, token);
        const [urls, cred] = c.moveTo(
          fake.providerUrls,
          c.cred(fake, token),
          await refusedLoopbackUrl(),
        );
        const refused = await testCredential(cred, urls, FAST);
        assert.equal(refused.status, 'unreachable');
        assert.match(refused.detail, /refused/);
        fake[c.provider].setFault({ kind: 'reset' });
        const reset = await testCredential(c.cred(fake, token), fake.providerUrls, FAST);
        assert.equal(reset.status, 'unreachable');
        assert.match(reset.detail, /could not be reached/);
      });
    });
  }

  describe('GitHub details', () => {
    it('reads scopes and the expiry header, and warns when repo is missing', async () => {
      const token = newToken('gh');
      const expires = Date.UTC(2027, 0, 15, 8, 30, 0);
      fake.github.addToken(token, {
        login: 'octo-bob',
        scopes: ['read:user', 'gist'],
        expiresAt: expires,
      });
      const r = await testCredential(
        { type: 'git_token', provider: 'github', token },
        fake.providerUrls,
      );
      assert.equal(r.status, 'valid');
      assert.equal(r.account, 'octo-bob');
      assert.deepEqual(r.scopes, ['read:user', 'gist']);
      assert.equal(r.expiresAt, expires);
      assert.match(r.detail, /lacks the "repo" scope/);
      assert.match(r.detail, /2027-01-15/);
    });

    it('does not warn when repo is there, and reports no expiry as null', async () => {
      const token = newToken('gh');
      fake.github.addToken(token, { login: 'octo-carol', scopes: ['repo'] });
      const r = await testCredential(
        { type: 'git_token', provider: 'github', token },
        fake.providerUrls,
      );
      assert.equal(r.status, 'valid');
      assert.doesNotMatch(r.detail, /Warning/);
      assert.equal(r.expiresAt, null);
      assert.deepEqual(r.scopes, ['repo']);
    });

    it('says fine-grained tokens have no listed scopes', async () => {
      const token = newToken('github_pat');
      fake.github.addToken(token, { login: 'octo-dan', scopes: null });
      const r = await testCredential(
        { type: 'git_token', provider: 'github', token },
        fake.providerUrls,
      );
      assert.equal(r.status, 'valid');
      assert.equal(r.scopes, undefined);
      assert.match(r.detail, /fine-grained/);
    });

    it('treats an expired token as invalid', async () => {
      const token = newToken('gh');
      fake.github.addToken(token, { login: 'octo-eve', expiresAt: Date.now() - 60_000 });
      const r = await testCredential(
        { type: 'git_token', provider: 'github', token },
        fake.providerUrls,
      );
      assert.equal(r.status, 'invalid');
    });

    it('works with the api.github.com form of the URL (no /api/v3)', async () => {
      const token = newToken('gh');
      fake.github.addToken(token, { login: 'octo-root' });
      const urls = { ...fake.providerUrls, githubApiUrl: fake.github.origin };
      const r = await testCredential({ type: 'git_token', provider: 'github', token }, urls);
      assert.equal(r.status, 'valid');
      assert.equal(fake.github.requests.at(-1)?.path, '/user');
    });
  });

  describe('GitLab details', () => {
    it('reads scopes and expires_at from personal_access_tokens/self', async () => {
      const token = newToken('glpat');
      fake.gitlab.addToken(token, {
        username: 'lab-bob',
        scopes: ['read_user', 'read_repository'],
        expiresAt: Date.UTC(2027, 2, 1),
      });
      const r = await testCredential(
        { type: 'git_token', provider: 'gitlab', token },
        fake.providerUrls,
      );
      assert.equal(r.status, 'valid');
      assert.equal(r.account, 'lab-bob');
      assert.deepEqual(r.scopes, ['read_user', 'read_repository']);
      assert.equal(r.expiresAt, Date.UTC(2027, 2, 1));
      assert.match(r.detail, /lacks the "api" scope/);
      assert.deepEqual(
        fake.gitlab.requests.map((q) => q.path),
        ['/api/v4/user', '/api/v4/personal_access_tokens/self'],
      );
    });

    it("uses the token's own URL over GITLAB_URL, with or without /api/v4", async () => {
      const token = newToken('glpat');
      fake.gitlab.addToken(token, { username: 'lab-own' });
      const urls = { ...fake.providerUrls, gitlabUrl: await refusedLoopbackUrl() };
      for (const url of [fake.gitlab.origin, `${fake.gitlab.origin}/api/v4/`]) {
        const r = await testCredential({ type: 'git_token', provider: 'gitlab', token, url }, urls);
        assert.equal(r.status, 'valid', r.detail);
        assert.equal(r.expiresAt, null);
      }
    });

    it('answers invalid with a scope hint for a token that cannot read the user', async () => {
      const token = newToken('glpat');
      fake.gitlab.addToken(token, { username: 'lab-reg', scopes: ['read_registry'] });
      const r = await testCredential(
        { type: 'git_token', provider: 'gitlab', token },
        fake.providerUrls,
      );
      assert.equal(r.status, 'invalid');
      assert.match(r.detail, /scope/);
    });
  });

  describe('Forgejo, Google and custom details', () => {
    it('reports the Forgejo account and needs a URL', async () => {
      const token = newToken('fj');
      fake.forgejo.addToken(token, { login: 'forge-bob' });
      const r = await testCredential(
        { type: 'git_token', provider: 'forgejo', token, url: `${fake.urls.forgejoUrl}/` },
        fake.providerUrls,
      );
      assert.equal(r.account, 'forge-bob');
      const none = await testCredential(
        { type: 'git_token', provider: 'forgejo', token, url: null },
        fake.providerUrls,
      );
      assert.equal(none.status, 'unreachable');
      assert.match(none.detail, /no server URL/);
    });

    it('refuses to send a token to a non-https URL off loopback', async () => {
      const token = newToken('fj');
      const r = await testCredential(
        { type: 'git_token', provider: 'forgejo', token, url: 'http://git.example.com' },
        fake.providerUrls,
      );
      assert.equal(r.status, 'unreachable');
      assert.match(r.detail, /https/);
      assert.equal(fake.requests().length, 0);
    });

    it('maps Google API_KEY_INVALID (400) to invalid and never puts the key in the URL', async () => {
      const token = newToken('AIza');
      const r = await testCredential(
        { type: 'ai_token', provider: 'google', token },
        fake.providerUrls,
      );
      assert.equal(r.status, 'invalid');
      assert.match(r.detail, /API_KEY_INVALID/);
      assert.deepEqual(
        fake.whereSeen(token).map((s) => s.location),
        ['header:x-goog-api-key'],
      );
    });

    it('sends anthropic-version with the Anthropic key', async () => {
      const token = newToken('sk-ant');
      fake.anthropic.addToken(token);
      await testCredential({ type: 'ai_token', provider: 'anthropic', token }, fake.providerUrls);
      assert.equal(fake.anthropic.requests[0]?.headers['anthropic-version'], '2023-06-01');
    });

    it('tests a custom key with a URL as an OpenAI-compatible endpoint', async () => {
      const token = newToken('custom');
      fake.openai.addToken(token, { models: ['local-model'] });
      const cred: CredentialToTest = {
        type: 'ai_token',
        provider: 'custom',
        token,
        url: fake.urls.openaiBaseUrl,
        envVar: 'MY_KEY',
      };
      const r = await testCredential(cred, fake.providerUrls);
      assert.equal(r.status, 'valid', r.detail);
      assert.equal(fake.openai.requests[0]?.path, '/v1/models');
      assert.deepEqual(
        fake.whereSeen(token).map((s) => s.location),
        ['header:authorization'],
      );
      const bad = await testCredential({ ...cred, token: newToken('custom') }, fake.providerUrls);
      assert.equal(bad.status, 'invalid');
    });

    it('says a custom key without a URL has nothing to test against, without calling anyone', async () => {
      const token = newToken('custom');
      const r = await testCredential(
        { type: 'ai_token', provider: 'custom', token, envVar: 'MY_KEY' },
        fake.providerUrls,
      );
      assert.equal(r.status, 'unreachable');
      assert.match(r.detail, /nothing to test/);
      assert.match(r.detail, /MY_KEY/);
      assert.equal(fake.requests().length, 0);
    });

    it('answers unreachable when a 200 is not the API (a web page at the URL)', async () => {
      const token = newToken('fj');
      // The Anthropic fake answers 404 JSON at /api/v1/user: not Forgejo.
      const r = await testCredential(
        { type: 'git_token', provider: 'forgejo', token, url: fake.anthropic.origin },
        fake.providerUrls,
      );
      assert.equal(r.status, 'unreachable');
      assert.match(r.detail, /404/);
    });

    it('refuses unknown providers with BAD_REQUEST', async () => {
      await assert.rejects(
        testCredential({ type: 'git_token', provider: 'openai', token: 'x' }, fake.providerUrls),
        (e: unknown) => e instanceof AppError && e.code === 'BAD_REQUEST',
      );
    });
  });

  it('gives up after 5 s by default', async function () {
    this.timeout(DEFAULT_TIMEOUT_MS + 5_000);
    const token = newToken('sk');
    fake.openai.addToken(token);
    fake.openai.setFault({ kind: 'slow', delayMs: DEFAULT_TIMEOUT_MS + 3_000 });
    const started = Date.now();
    const r = await testCredential(
      { type: 'ai_token', provider: 'openai', token },
      fake.providerUrls,
    );
    const elapsed = Date.now() - started;
    assert.equal(DEFAULT_TIMEOUT_MS, 5_000);
    assert.equal(r.status, 'unreachable');
    assert.match(r.detail, /within 5 s/);
    assert.ok(elapsed >= 4_900 && elapsed < 7_000, `took ${elapsed} ms`);
  });
});
