// sshKeys.register with a usage, through the running service against the fake GitHub and
// GitLab: signing keys land where each provider keeps them (GitHub's /user/ssh_signing_keys,
// GitLab's usage_type), and the registration records what it was for.
import assert from 'node:assert/strict';
import { startFakeProviders, type FakeProviders } from '../../support/fakeProviders';
import { startTestService, type TestService } from '../../support/service';
import { tierSuite } from '../../support/tiers';
import { assertTrpcCode } from '../routers/assertions';

tierSuite('sqlite', 'SSH keys registered for signing', function () {
  this.timeout(30_000);
  let fake: FakeProviders;
  let svc: TestService;
  let session = '';

  before(async () => {
    fake = await startFakeProviders();
    svc = await startTestService({ dialect: 'sqlite', env: fake.env });
    await svc.createUser('signer', 'pw-signer-123456');
    session = await svc.login('signer', 'pw-signer-123456');
    fake.github.addToken('ghp_signing0001', { login: 'signer-gh' });
    fake.gitlab.addToken('glpat-signing0001', { username: 'signer-gl' });
    const api = svc.trpc(session);
    await api.tokens.create.mutate({
      type: 'git_token',
      provider: 'github',
      token: 'ghp_signing0001',
    });
    await api.tokens.create.mutate({
      type: 'git_token',
      provider: 'gitlab',
      token: 'glpat-signing0001',
    });
  });
  after(async () => {
    await svc?.close();
    await fake?.close();
  });

  it('GitHub: both adds an authentication and a signing key; signing alone only the latter', async () => {
    const api = svc.trpc(session);
    const key = await api.sshKeys.generate.mutate({});
    const both = await api.sshKeys.register.mutate({
      id: key.id,
      provider: 'github',
      usage: 'both',
    });
    assert.equal(both.status, 'registered', both.detail);
    assert.equal(fake.github.keysOf('signer-gh').length, 1);
    assert.equal(fake.github.signingKeys.filter((k) => k.login === 'signer-gh').length, 1);
    const again = await api.sshKeys.register.mutate({
      id: key.id,
      provider: 'github',
      usage: 'both',
    });
    assert.equal(again.status, 'already_registered', again.detail);

    const other = await api.sshKeys.generate.mutate({ name: 'sign-only' });
    const signing = await api.sshKeys.register.mutate({
      id: other.id,
      provider: 'github',
      usage: 'signing',
    });
    assert.equal(signing.status, 'registered', signing.detail);
    assert.equal(fake.github.keysOf('signer-gh').length, 1, 'a signing key was added for login');
    assert.equal(fake.github.signingKeys.length, 2);
    const listed = await api.sshKeys.list.query();
    const usages = listed.flatMap((k) => k.registrations.map((r) => `${k.name}:${r.usage}`));
    assert.deepEqual(usages.sort(), ['default:both', 'sign-only:signing']);
  });

  it('GitLab: usage_type follows the usage; without a usage it is authentication', async () => {
    const api = svc.trpc(session);
    const key = await api.sshKeys.generate.mutate({ name: 'gl-sign' });
    const r = await api.sshKeys.register.mutate({
      id: key.id,
      provider: 'gitlab',
      usage: 'signing',
    });
    assert.equal(r.status, 'registered', r.detail);
    const plain = await api.sshKeys.generate.mutate({ name: 'gl-auth' });
    await api.sshKeys.register.mutate({ id: plain.id, provider: 'gitlab' });
    assert.deepEqual(
      fake.gitlab.keysOf('signer-gl').map((k) => k.usage_type),
      ['signing', 'auth'],
    );
    await assertTrpcCode(
      api.sshKeys.register.mutate({
        id: key.id,
        provider: 'gitlab',
        usage: 'everything' as unknown as 'both',
      }),
      'BAD_REQUEST',
    );
  });
});
