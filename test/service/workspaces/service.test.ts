// End to end through the real HTTP service (docker tier): inject over tRPC, then inside the
// container, as the workspace user with no step by hand, clone over HTTP through the credential
// helper, create a GitHub repository with create-repo against the fake API, and watch the
// workspace token die on clear and on `docker rm`; auto-inject on `docker start`.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WorkspaceService } from '../../../service/workspaces';
import { createWorkspace, testDocker, waitFor, type TestWorkspace } from '../../support/docker';
import { startFakeProviders, type FakeProviders } from '../../support/fakeProviders';
import { makeBareRepo, startHttpGitServer, type HttpGitServer } from '../../support/gitServers';
import { startTestService, type TestService } from '../../support/service';
import { tierSuite } from '../../support/tiers';

const GIT_TOKEN = 'fj-secret-token-4711';
const GITHUB_TOKEN = 'ghp_e2eSecretToken0000000000000000000';

tierSuite('docker', 'workspaces through the running service', function () {
  this.timeout(180_000);
  const docker = testDocker();
  let fake: FakeProviders;
  let svc: TestService;
  let git: HttpGitServer;
  let repoDir: string;
  let session: string;
  let username: string;
  const containers: TestWorkspace[] = [];
  const track = (w: TestWorkspace) => (containers.push(w), w);

  before(async () => {
    fake = await startFakeProviders();
    repoDir = mkdtempSync(path.join(os.tmpdir(), 'xares-http-repos-'));
    makeBareRepo(repoDir, 'demo', 'hello over http\n');
    git = await startHttpGitServer(repoDir, 'alice-git', GIT_TOKEN);
    svc = await startTestService({ dialect: 'sqlite', env: fake.env });
    username = `alice-${Math.random().toString(36).slice(2, 8)}`;
    await svc.createUser(username, 'pw-alice-123456');
    session = await svc.login(username, 'pw-alice-123456');
    const api = svc.trpc(session);
    await api.sshKeys.generate.mutate({});
    await api.tokens.create.mutate({
      type: 'git_token',
      provider: 'forgejo',
      token: GIT_TOKEN,
      username: 'alice-git',
      url: git.url,
    });
    fake.github.addToken(GITHUB_TOKEN, { login: 'alice-gh', scopes: ['repo'] });
    await api.tokens.create.mutate({
      type: 'git_token',
      provider: 'github',
      token: GITHUB_TOKEN,
      username: 'alice-gh',
    });
    await api.tokens.create.mutate({
      type: 'ai_token',
      provider: 'openai',
      token: 'sk-e2e-openai-key',
    });
    // Tests inject by hand; auto-injection (tested on its own below) would race them.
    await api.settings.update.mutate({ autoInject: false });
    // The service follows Docker's events once the engine answered.
    const workspaces = svc.service.deps.workspaces;
    assert.ok(workspaces instanceof WorkspaceService);
    await waitFor(async () => workspaces.following, 10_000, 'the docker event stream');
  });

  after(async () => {
    await Promise.all(containers.map((c) => c.remove()));
    await svc?.close();
    await git?.stop();
    await fake?.close();
    if (repoDir) rmSync(repoDir, { recursive: true, force: true });
  });

  const me = (token: string) => svc.request('GET', '/trpc/auth.me', { token: token.trim() });

  it('clones over HTTP through the credential helper and creates a GitHub repository, tokens never on disk', async () => {
    const ws = track(await createWorkspace(docker, { owner: username, network: 'host' }));
    const before = await ws.exec(['sh', '-c', `git clone -q ${git.url}/demo.git /tmp/before`], {
      env: ['GIT_TERMINAL_PROMPT=0'],
    });
    assert.notEqual(before.code, 0, 'cloned without credentials');

    const result = await svc.trpc(session).workspaces.inject.mutate({ workspaceId: ws.id });
    assert.equal(result.injected, true);

    const clone = await ws.exec(
      ['sh', '-c', `cd ~ && git clone -q ${git.url}/demo.git demo && cat demo/README.md`],
      { env: ['GIT_TERMINAL_PROMPT=0'] },
    );
    assert.equal(clone.code, 0, clone.stderr);
    assert.equal(clone.stdout, 'hello over http\n');
    assert.ok(git.stats.authorized > 0);

    // A host the service has no token for: the helper stays silent and git falls through.
    const other = await startHttpGitServer(repoDir, 'x', 'y');
    try {
      const miss = await ws.exec(['sh', '-c', `git clone -q ${other.url}/demo.git /tmp/miss`], {
        env: ['GIT_TERMINAL_PROMPT=0'],
      });
      assert.notEqual(miss.code, 0);
      assert.doesNotMatch(miss.stderr, /git-credential-xares/);
      assert.equal(other.stats.authorized, 0);
    } finally {
      await other.stop();
    }

    const create = await ws.exec([
      'bash',
      '-lc',
      'cd /tmp && create-repo -p github --private demo',
    ]);
    assert.equal(create.code, 0, `${create.stdout}\n${create.stderr}`);
    assert.match(create.stdout, /Repository created: \S+demo/);
    const repo = fake.github.repos.find((r) => r.name === 'demo');
    assert.ok(repo, 'the fake GitHub has no repository demo');
    assert.equal(repo.private, true);
    const seen = fake.whereSeen(GITHUB_TOKEN);
    assert.ok(seen.length > 0);
    assert.deepEqual([...new Set(seen.map((s) => s.location))], ['header:authorization']);

    // No git token was written anywhere in the home directory (or /tmp).
    for (const secret of [GIT_TOKEN, GITHUB_TOKEN]) {
      const grep = await ws.exec(['grep', '-rF', secret, '/home/coder', '/tmp']);
      assert.equal(grep.code, 1, `found a token on disk: ${grep.stdout}`);
    }
    const help = await ws.exec(['bash', '-lc', 'create-repo -h && git-helper']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /-p, --provider PROVIDER/);
    assert.match(help.stdout, /Configured git providers: github forgejo/);
  });

  it('create-repo reaches GitLab and Forgejo too; FORGEJO_URL in the workspace overrides', async () => {
    const api = svc.trpc(session);
    const gitlabToken = 'glpat-e2eSecret000000000';
    const forgejoToken = 'fj-fake-secret-0000000000';
    fake.gitlab.addToken(gitlabToken, { username: 'alice-gl' });
    fake.forgejo.addToken(forgejoToken, { login: 'alice-fj' });
    await api.tokens.create.mutate({ type: 'git_token', provider: 'gitlab', token: gitlabToken });
    await api.tokens.create.mutate({
      type: 'git_token',
      provider: 'forgejo',
      name: 'fake',
      token: forgejoToken,
      url: fake.urls.forgejoUrl,
    });
    const ws = track(await createWorkspace(docker, { owner: username, network: 'host' }));
    await api.workspaces.inject.mutate({ workspaceId: ws.id });

    const gl = await ws.exec(['bash', '-lc', 'cd /tmp && create-repo -p gitlab --public demo-gl']);
    assert.equal(gl.code, 0, `${gl.stdout}\n${gl.stderr}`);
    assert.deepEqual(
      fake.gitlab.projects.map((p) => [p.name, p.visibility]),
      [['demo-gl', 'public']],
    );

    const description = 'Company "project" $(touch /tmp/pwned) \\ end';
    const fj = await ws.exec(
      ['bash', '-lc', 'cd /tmp && create-repo -p forgejo -d "$DESC" work-app'],
      {
        env: [`FORGEJO_URL=${fake.urls.forgejoUrl}`, `DESC=${description}`],
      },
    );
    assert.equal(fj.code, 0, `${fj.stdout}\n${fj.stderr}`);
    assert.deepEqual(
      fake.forgejo.repos.map((r) => [r.name, r.private]),
      [['work-app', false]],
    );
    const sent = fake.forgejo.requests.find(
      (r) => r.method === 'POST' && r.path.endsWith('/user/repos'),
    );
    assert.equal((JSON.parse(sent!.body) as { description: string }).description, description);
    assert.notEqual((await ws.exec(['test', '-e', '/tmp/pwned'])).code, 0);
    assert.deepEqual(
      [...new Set(fake.whereSeen(gitlabToken).map((s) => s.location))],
      ['header:private-token'],
    );
    assert.deepEqual(
      [...new Set(fake.whereSeen(forgejoToken).map((s) => s.location))],
      ['header:authorization'],
    );

    const unknown = await ws.exec(['bash', '-lc', 'create-repo -p bitbucket x']);
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /Unknown provider 'bitbucket'/);
    const bad = await ws.exec(['bash', '-lc', 'create-repo --private "a b"']);
    assert.notEqual(bad.code, 0);
  });

  it('the credential helper hands git a token with quotes, backslashes and $ exactly', async () => {
    const odd = `od"d\\to'ken$(x)/\`y\``;
    const server = await startHttpGitServer(repoDir, 'odd-user', odd);
    try {
      await svc.trpc(session).tokens.create.mutate({
        type: 'git_token',
        provider: 'forgejo',
        name: 'odd',
        token: odd,
        username: 'odd-user',
        url: server.url,
      });
      const ws = track(await createWorkspace(docker, { owner: username, network: 'host' }));
      await svc.trpc(session).workspaces.inject.mutate({ workspaceId: ws.id });
      const clone = await ws.exec(
        ['sh', '-c', `git clone -q ${server.url}/demo.git /tmp/odd && cat /tmp/odd/README.md`],
        { env: ['GIT_TERMINAL_PROMPT=0'] },
      );
      assert.equal(clone.code, 0, clone.stderr);
      assert.equal(clone.stdout, 'hello over http\n');
      assert.ok(server.stats.authorized > 0);
    } finally {
      await server.stop();
    }
  });

  it('the workspace token is a workspace session until clear, then dead', async () => {
    const ws = track(await createWorkspace(docker, { owner: username, network: 'host' }));
    await svc.trpc(session).workspaces.inject.mutate({ workspaceId: ws.name });
    const token = await ws.sh('cat ~/.config/xares/workspace-token');
    const live = await me(token);
    assert.equal(live.status, 200);
    assert.deepEqual(
      (live.body as { result: { data: { sessionKind: string; workspaceId: string } } }).result.data
        .sessionKind,
      'workspace',
    );
    const listed = await svc.trpc(session).workspaces.list.query();
    assert.ok(listed.find((w) => w.id === ws.id)?.injectedAt);
    const cleared = await svc.trpc(session).workspaces.clear.mutate({ workspaceId: ws.id });
    assert.ok(cleared.files.includes('.config/xares/workspace-token'));
    assert.equal((await me(token)).status, 401);
    assert.equal(
      (await ws.exec(['test', '-e', '/home/coder/.config/xares/workspace-token'])).code,
      1,
    );
  });

  it('the workspace token dies when the container is removed', async () => {
    const ws = track(await createWorkspace(docker, { owner: username, network: 'host' }));
    await svc.trpc(session).workspaces.inject.mutate({ workspaceId: ws.id });
    const token = await ws.sh('cat ~/.config/xares/workspace-token');
    assert.equal((await me(token)).status, 200);
    await ws.remove();
    await waitFor(async () => (await me(token)).status === 401, 10_000, 'the token to be revoked');
  });

  it('auto-injects on docker start with no call, only for users with autoInject on', async () => {
    await svc.trpc(session).settings.update.mutate({ autoInject: true });
    const ws = track(
      await createWorkspace(docker, { owner: username, network: 'none', start: false }),
    );
    await ws.container.start();
    const started = Date.now();
    const elapsed = await waitFor(
      async () =>
        (await ws.exec(['test', '-s', '/home/coder/.config/xares/workspace-token'])).code === 0,
      10_000,
      'auto-injected files',
    );
    console.log(
      `      auto-inject: files present ${elapsed} ms after docker start returned (${Date.now() - started} ms)`,
    );
    assert.equal((await ws.exec(['test', '-f', '/home/coder/.ssh/id_ed25519'])).code, 0);
    assert.equal((await me(await ws.sh('cat ~/.config/xares/workspace-token'))).status, 200);

    const bob = `bob-${Math.random().toString(36).slice(2, 8)}`;
    await svc.createUser(bob, 'pw-bob-1234567');
    const bobSession = await svc.login(bob, 'pw-bob-1234567');
    await svc.trpc(bobSession).settings.update.mutate({ autoInject: false });
    const off = track(await createWorkspace(docker, { owner: bob, network: 'none', start: false }));
    await off.container.start();
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal(
      (await off.exec(['test', '-e', '/home/coder/.config/xares'])).code,
      1,
      'injected although autoInject is off',
    );
    await svc.trpc(session).settings.update.mutate({ autoInject: false });
  });

  it('credentials.clearAll clears every injected workspace', async () => {
    const ws = track(await createWorkspace(docker, { owner: username, network: 'none' }));
    await svc.trpc(session).workspaces.inject.mutate({ workspaceId: ws.id });
    const token = await ws.sh('cat ~/.config/xares/workspace-token');
    const result = await svc.trpc(session).credentials.clearAll.mutate({});
    assert.ok(result.workspacesCleared >= 1);
    assert.equal((await ws.exec(['test', '-e', '/home/coder/.ssh/id_ed25519'])).code, 1);
    assert.equal((await me(token)).status, 401);
  });
});
