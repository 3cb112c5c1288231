// SSH public key registration with each git provider's fake: added, already there (found in
// the account's own list, compared without the comment), held by another account, and errors.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { AppError } from '../../../service/errors';
import { registerSshKey } from '../../../service/providers';
import { generateSshKey } from '../../../service/ssh/keys';
import {
  refusedLoopbackUrl,
  startFakeProviders,
  type FakeProviders,
} from '../../support/fakeProviders';
import { tierSuite } from '../../support/tiers';

type Git = 'github' | 'gitlab' | 'forgejo';

let n = 0;
const token = (p: string) => `${p}-regtoken-${(n += 1)}-${Date.now().toString(36)}`;

function grant(
  fake: FakeProviders,
  provider: Git,
  t: string,
  account: string,
  scopes?: string[],
): void {
  if (provider === 'github')
    fake.github.addToken(t, { login: account, ...(scopes ? { scopes } : {}) });
  if (provider === 'gitlab')
    fake.gitlab.addToken(t, { username: account, ...(scopes ? { scopes } : {}) });
  if (provider === 'forgejo')
    fake.forgejo.addToken(t, { login: account, ...(scopes ? { scopes } : {}) });
}

function keysOf(
  fake: FakeProviders,
  provider: Git,
  account: string,
): Array<{ key: string; title: string }> {
  return fake[provider].keysOf(account);
}

function cred(fake: FakeProviders, provider: Git, t: string) {
  return { provider, token: t, url: provider === 'forgejo' ? fake.urls.forgejoUrl : null };
}

/** A key line of the right shape, for filling accounts quickly (ed25519 generation is slow). */
const filler = () => `ssh-ed25519 ${crypto.randomBytes(51).toString('base64')}`;

const WEAK_SCOPES: Record<Git, string[]> = {
  github: ['repo'],
  gitlab: ['read_user'],
  forgejo: ['read:user'],
};

tierSuite('unit', 'SSH key registration', () => {
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

  for (const provider of ['github', 'gitlab', 'forgejo'] as const) {
    describe(provider, () => {
      it('registers a new key, then reports it already registered (comment ignored)', async () => {
        const t = token(provider);
        const account = `${provider}-reg-${n}`;
        grant(fake, provider, t, account);
        const key = generateSshKey('alice@xares');
        const first = await registerSshKey(
          cred(fake, provider, t),
          { title: 'XaresAICoder', publicKey: key.publicKey },
          fake.providerUrls,
        );
        assert.equal(first.status, 'registered', first.detail);
        assert.ok(first.remoteId);
        const stored = keysOf(fake, provider, account);
        assert.equal(stored.length, 1);
        assert.equal(stored[0]!.key, key.publicKey.split(' ').slice(0, 2).join(' '));

        const otherComment = key.publicKey.replace(/alice@xares$/, 'another comment');
        const again = await registerSshKey(
          cred(fake, provider, t),
          { title: 'XaresAICoder', publicKey: otherComment },
          fake.providerUrls,
        );
        assert.equal(again.status, 'already_registered', again.detail);
        assert.equal(again.remoteId, first.remoteId);
        assert.equal(keysOf(fake, provider, account).length, 1);
        assert.ok(!JSON.stringify([first, again]).includes(t));
        const sightings = fake.whereSeen(t);
        assert.ok(
          sightings.every(
            (s) =>
              s.location ===
              (provider === 'gitlab' ? 'header:private-token' : 'header:authorization'),
          ),
        );
      });

      it('finds an existing key beyond the first page of the list', async () => {
        const t = token(provider);
        const account = `${provider}-many-${n}`;
        grant(fake, provider, t, account);
        for (let i = 0; i < 120; i += 1) fake[provider].addKey(account, filler(), `old ${i}`);
        const key = generateSshKey('late');
        fake[provider].addKey(account, key.publicKey, 'the one');
        const r = await registerSshKey(
          cred(fake, provider, t),
          { title: 'XaresAICoder', publicKey: key.publicKey },
          fake.providerUrls,
        );
        assert.equal(r.status, 'already_registered', r.detail);
      });

      it('answers error when another account holds the key', async () => {
        const t = token(provider);
        grant(fake, provider, t, `${provider}-me-${n}`);
        const key = generateSshKey('');
        fake[provider].addKey(`${provider}-someone-else`, key.publicKey);
        const r = await registerSshKey(
          cred(fake, provider, t),
          { title: 'XaresAICoder', publicKey: key.publicKey },
          fake.providerUrls,
        );
        assert.equal(r.status, 'error');
        assert.match(r.detail, /another account|another GitHub account/);
      });

      it('answers error for a rejected token, a missing scope, a server error and a dead server', async () => {
        const key = generateSshKey('');
        const body = { title: 'XaresAICoder', publicKey: key.publicKey };
        const wrong = await registerSshKey(
          cred(fake, provider, token(provider)),
          body,
          fake.providerUrls,
        );
        assert.equal(wrong.status, 'error');
        assert.match(wrong.detail, /401/);

        const weak = token(provider);
        grant(fake, provider, weak, `${provider}-weak-${n}`, WEAK_SCOPES[provider]);
        const scoped = await registerSshKey(cred(fake, provider, weak), body, fake.providerUrls);
        assert.equal(scoped.status, 'error');
        assert.match(scoped.detail, /scope/);

        const good = token(provider);
        grant(fake, provider, good, `${provider}-good-${n}`);
        fake[provider].setFault({ kind: 'status', status: 502 });
        const down = await registerSshKey(cred(fake, provider, good), body, fake.providerUrls);
        assert.equal(down.status, 'error');
        assert.match(down.detail, /HTTP 502/);
        fake[provider].setFault({ kind: 'slow', delayMs: 3_000 });
        const slow = await registerSshKey(cred(fake, provider, good), body, fake.providerUrls, {
          timeoutMs: 300,
        });
        assert.equal(slow.status, 'error');
        assert.match(slow.detail, /did not answer/);
        fake[provider].setFault(null);

        const dead = await refusedLoopbackUrl();
        const urls =
          provider === 'github'
            ? { ...fake.providerUrls, githubApiUrl: dead }
            : { ...fake.providerUrls, gitlabUrl: dead };
        const c =
          provider === 'forgejo'
            ? { ...cred(fake, provider, good), url: dead }
            : cred(fake, provider, good);
        const refused = await registerSshKey(c, body, urls);
        assert.equal(refused.status, 'error');
        assert.match(refused.detail, /refused/);
        for (const r of [wrong, scoped, down, slow, refused])
          assert.ok(!r.detail.includes(good) && !r.detail.includes(weak));
      });

      it('sends the title and the key as JSON by POST', async () => {
        const t = token(provider);
        grant(fake, provider, t, `${provider}-post-${n}`);
        const key = generateSshKey('c');
        await registerSshKey(
          cred(fake, provider, t),
          { title: 'Xares key', publicKey: key.publicKey },
          fake.providerUrls,
        );
        const post = fake[provider].requests.find((r) => r.method === 'POST');
        assert.ok(post);
        assert.match(post.path, /\/user\/keys$/);
        assert.match(post.headers['content-type'] ?? '', /application\/json/);
        const sent = JSON.parse(post.body) as { title: string; key: string };
        assert.equal(sent.title, 'Xares key');
        assert.equal(sent.key, key.publicKey);
      });
    });
  }

  it('retries Forgejo once with another title when the title is taken', async () => {
    const t = token('fj');
    const account = `forge-title-${n}`;
    grant(fake, 'forgejo', t, account);
    fake.forgejo.addKey(account, generateSshKey('').publicKey, 'XaresAICoder');
    const key = generateSshKey('');
    const r = await registerSshKey(
      cred(fake, 'forgejo', t),
      { title: 'XaresAICoder', publicKey: key.publicKey },
      fake.providerUrls,
    );
    assert.equal(r.status, 'registered', r.detail);
    assert.equal(fake.forgejo.keysOf(account).length, 2);
    assert.notEqual(fake.forgejo.keysOf(account)[1]!.title, 'XaresAICoder');
  });

  it('uses a GitLab token URL over GITLAB_URL and requires a Forgejo URL', async () => {
    const t = token('gl');
    grant(fake, 'gitlab', t, 'gl-own-url');
    const urls = { ...fake.providerUrls, gitlabUrl: await refusedLoopbackUrl() };
    const key = generateSshKey('');
    const r = await registerSshKey(
      { provider: 'gitlab', token: t, url: fake.gitlab.origin },
      { title: 'x', publicKey: key.publicKey },
      urls,
    );
    assert.equal(r.status, 'registered', r.detail);
    const none = await registerSshKey(
      { provider: 'forgejo', token: t, url: null },
      { title: 'x', publicKey: key.publicKey },
      urls,
    );
    assert.equal(none.status, 'error');
    assert.match(none.detail, /no server URL/);
  });

  it('refuses providers that take no SSH keys and public keys that are not OpenSSH lines', async () => {
    await assert.rejects(
      registerSshKey(
        { provider: 'openai', token: 'x' },
        { title: 'x', publicKey: 'ssh-ed25519 AAAA' },
        fake.providerUrls,
      ),
      (e: unknown) => e instanceof AppError && e.code === 'BAD_REQUEST',
    );
    const r = await registerSshKey(
      { provider: 'github', token: 'x' },
      { title: 'x', publicKey: 'not a key' },
      fake.providerUrls,
    );
    assert.equal(r.status, 'error');
    assert.equal(fake.requests().length, 0);
  });
});
