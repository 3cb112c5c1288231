// Provider CLIs with no login (docker tier): in a workspace with a GitHub token, Debian's gh
// answers `gh api user` as the user with no `gh auth login`, the token fetched at run time for
// that one process: never on disk, never in argv, and no SSH key added at GitHub. gh insists on
// https for a GitHub Enterprise host, so the fake GitHub sits behind a TLS front whose
// certificate the container trusts through SSL_CERT_FILE.
import assert from 'node:assert/strict';
import { createWorkspace, testDocker, type TestWorkspace } from '../../support/docker';
import { startFakeProviders, type FakeProviders } from '../../support/fakeProviders';
import { ensureGhImage } from '../../support/ghImage';
import { startTestService, type TestService } from '../../support/service';
import { startTlsFront, type TlsFront } from '../../support/tlsFront';
import { tierSuite } from '../../support/tiers';

const TOKEN = 'ghp_cliNoLoginToken000000000000000001';

tierSuite('docker', 'provider CLIs with no login', function () {
  this.timeout(300_000);
  const docker = testDocker();
  let fake: FakeProviders;
  let front: TlsFront;
  let svc: TestService;
  let ws: TestWorkspace;

  before(async () => {
    const image = await ensureGhImage(docker);
    fake = await startFakeProviders();
    front = await startTlsFront(fake.github.origin);
    svc = await startTestService({
      dialect: 'sqlite',
      env: { ...fake.env, GITHUB_API_URL: `${front.origin}/api/v3` },
    });
    const name = `cli${Math.random().toString(36).slice(2, 8)}`;
    await svc.createUser(name, 'pw-cli-no-login-1');
    const api = svc.trpc(await svc.login(name, 'pw-cli-no-login-1'));
    await api.settings.update.mutate({ autoInject: false });
    await api.sshKeys.generate.mutate({});
    fake.github.addToken(TOKEN, { login: 'alice-gh', scopes: ['repo'] });
    await api.tokens.create.mutate({ type: 'git_token', provider: 'github', token: TOKEN });
    ws = await createWorkspace(docker, { owner: name, network: 'host', image });
    await api.workspaces.inject.mutate({ workspaceId: ws.id });
    await ws.sh(`cat > /tmp/front.pem <<'PEM'\n${front.certPem}PEM`);
  });

  after(async () => {
    await ws?.remove();
    await svc?.close();
    await front?.close();
    await fake?.close();
  });

  it('gh api user answers as the user: token from the service for this process only', async () => {
    const env = ['SSL_CERT_FILE=/tmp/front.pem', 'GH_NO_UPDATE_NOTIFIER=1', 'GH_PROMPT_DISABLED=1'];
    const plain = await ws.exec(['/usr/bin/gh', 'api', 'user'], { env });
    assert.notEqual(plain.code, 0, 'the real gh answered without a login');

    const user = await ws.exec(['bash', '-lc', 'gh api user --jq .login'], { env });
    assert.equal(user.code, 0, user.stderr);
    assert.equal(user.stdout.trim(), 'alice-gh');
    const seen = fake.whereSeen(TOKEN);
    assert.ok(seen.some((s) => s.path.endsWith('/user')));
    assert.deepEqual([...new Set(seen.map((s) => s.location))], ['header:authorization']);
    // gh registered nothing: no SSH key was added at GitHub.
    assert.equal(fake.github.keys.length, 0);
    assert.ok(!fake.requests().some((r) => r.method === 'POST' && r.path.includes('/keys')));
    // Nothing on disk: not gh's config, not a cache.
    const grep = await ws.exec(['grep', '-rlF', TOKEN, '/home/coder', '/tmp']);
    assert.equal(grep.code, 1, `the token is on disk: ${grep.stdout}`);
    const status = await ws.exec(['/usr/bin/gh', 'auth', 'status'], { env });
    assert.notEqual(status.code, 0, 'gh has a stored login');
  });

  it('a token of the user’s own wins, and without gh installed the wrapper says so', async () => {
    const env = ['SSL_CERT_FILE=/tmp/front.pem', 'GH_NO_UPDATE_NOTIFIER=1'];
    const own = await ws.exec(['bash', '-lc', 'GH_ENTERPRISE_TOKEN=not-a-token gh api user'], {
      env,
    });
    assert.notEqual(own.code, 0);
    const missing = await ws.exec(['/bin/sh', '-c', 'PATH=/home/coder/bin; gh api user']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /gh is not installed/);
  });
});
