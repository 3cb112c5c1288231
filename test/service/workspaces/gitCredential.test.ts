// git's credential protocol end to end (docker tier): real git in a real workspace container asks
// the injected helper, which asks POST /api/git-credential of the running service. Both ways
// the helper talks (bash's /dev/tcp for plain http, curl for anything else) are exercised, and
// what an attacker in the workspace would look at: the process list and the disk.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeBareRepo, startHttpGitServer } from '../../support/gitServers';
import { createWorkspace, testDocker, type TestWorkspace } from '../../support/docker';
import { startTestService, type TestService } from '../../support/service';
import { tierSuite } from '../../support/tiers';

const TOKEN = 'fj-e2e-credential-token-0042';
const HOST = '127.0.0.1:9';
const FILL = `printf 'protocol=http\\nhost=${HOST}\\n\\n' | git credential fill`;

tierSuite('docker', "git's credential protocol in a workspace", function () {
  this.timeout(180_000);
  let svc: TestService;
  let ws: TestWorkspace;
  let session = '';

  before(async () => {
    svc = await startTestService({ dialect: 'sqlite' });
    const name = `gc${Math.random().toString(36).slice(2, 8)}`;
    await svc.createUser(name, 'pw-git-credential-1');
    session = await svc.login(name, 'pw-git-credential-1');
    const api = svc.trpc(session);
    await api.settings.update.mutate({ autoInject: false });
    await api.tokens.create.mutate({
      type: 'git_token',
      provider: 'forgejo',
      token: TOKEN,
      username: 'fj-user',
      url: `http://${HOST}`,
      expiresAt: '2030-06-01T00:00:00Z',
    });
    ws = await createWorkspace(testDocker(), { owner: name, network: 'host' });
    await api.workspaces.inject.mutate({ workspaceId: ws.id });
  });

  after(async () => {
    await ws?.remove();
    await svc?.close();
  });

  it('git credential fill answers through the helper, with the expiry the service knows', async () => {
    const out = await ws.sh(FILL, { env: ['GIT_TERMINAL_PROMPT=0'] });
    assert.match(out, /^username=fj-user$/m);
    assert.match(out, new RegExp(`^password=${TOKEN}$`, 'm'));
    const raw = await ws.sh(
      `printf 'protocol=http\\nhost=${HOST}\\n\\n' | ~/bin/git-credential-xares get`,
    );
    assert.equal(
      raw,
      `username=fj-user\npassword=${TOKEN}\npassword_expiry_utc=${Date.UTC(2030, 5, 1) / 1000}\n`,
    );
    // store and erase are git's calls to caches: the helper stores nothing.
    await ws.sh(
      `printf 'protocol=http\\nhost=${HOST}\\nusername=u\\npassword=p\\n\\n' | ~/bin/git-credential-xares store`,
    );
    const unknown = await ws.exec([
      'sh',
      '-c',
      "printf 'protocol=http\\nhost=127.0.0.1:8\\n\\n' | ~/bin/git-credential-xares get",
    ]);
    assert.deepEqual([unknown.code, unknown.stdout, unknown.stderr], [0, '', '']);
  });

  it('over curl too (a service URL bash cannot reach by itself): the token never in argv', async () => {
    // A curl first on PATH that records how it was called, as `ps` would show it to anyone.
    await ws.sh(
      [
        'mkdir -p /tmp/spy',
        `printf '#!/bin/sh\\nprintf "%%s\\\\n" "$*" >> /tmp/spy/argv\\nexec /usr/bin/curl "$@"\\n' > /tmp/spy/curl`,
        'chmod 755 /tmp/spy/curl',
        // The same service under an upper-case scheme: curl takes it, the /dev/tcp path does not.
        'url=$(cat ~/.config/xares/service-url); cp ~/.config/xares/service-url /tmp/spy/url',
        'echo "HTTP://${url#http://}" > ~/.config/xares/service-url',
      ].join('\n'),
    );
    try {
      const out = await ws.sh(`PATH=/tmp/spy:$PATH; ${FILL}`);
      assert.match(out, new RegExp(`^password=${TOKEN}$`, 'm'));
      const argv = await ws.sh('cat /tmp/spy/argv');
      assert.match(argv, /api\/git-credential/, 'curl was not used');
      const wsToken = (await ws.sh('cat ~/.config/xares/workspace-token')).trim();
      assert.ok(!argv.includes(wsToken), `the workspace token was in curl's argv: ${argv}`);
      assert.ok(!argv.includes(TOKEN));
    } finally {
      await ws.sh('cp /tmp/spy/url ~/.config/xares/service-url; rm -rf /tmp/spy');
    }
  });

  it('leaves no token on disk, and a dead workspace token makes git say so', async () => {
    await ws.sh(FILL);
    const grep = await ws.exec(['grep', '-rlF', TOKEN, '/home/coder', '/tmp']);
    assert.equal(grep.code, 1, `the git token is on disk: ${grep.stdout}`);
    const wsToken = (await ws.sh('cat ~/.config/xares/workspace-token')).trim();
    const holders = await ws.exec(['grep', '-rlF', wsToken, '/home/coder', '/tmp']);
    assert.equal(holders.stdout.trim(), '/home/coder/.config/xares/workspace-token');

    await ws.sh(`echo ${'x'.repeat(43)} > ~/.config/xares/workspace-token`);
    const dead = await ws.exec(['sh', '-c', FILL], { env: ['GIT_TERMINAL_PROMPT=0'] });
    assert.notEqual(dead.code, 0);
    assert.match(dead.stderr, /workspace's token is no longer valid; inject again/);
    assert.ok(!dead.stdout.includes(TOKEN));
  });

  it('two accounts on one host: each repository is cloned with its own token (path prefix)', async () => {
    const repos = mkdtempSync(path.join(os.tmpdir(), 'xares-accounts-'));
    makeBareRepo(repos, 'acme/tools', 'work repository\n');
    makeBareRepo(repos, 'me/lib', 'personal repository\n');
    const work = 'fj-work-account-token-0001';
    const personal = 'fj-personal-account-token-0002';
    const server = await startHttpGitServer(repos, 'me', personal, [
      { prefix: 'acme', username: 'acme-bot', password: work },
    ]);
    const other = await createWorkspace(testDocker(), {
      owner: (await svc.trpc(session).auth.me.query()).username,
      network: 'host',
    });
    try {
      const api = svc.trpc(session);
      const made = await api.tokens.create.mutate({
        type: 'git_token',
        provider: 'forgejo',
        name: 'personal',
        token: personal,
        username: 'me',
        url: server.url,
      });
      const acme = await api.tokens.create.mutate({
        type: 'git_token',
        provider: 'forgejo',
        name: 'work',
        token: work,
        username: 'acme-bot',
        url: server.url,
        pathPrefix: 'acme',
      });
      assert.deepEqual([made.pathPrefix, acme.pathPrefix, acme.source], [null, 'acme', 'pasted']);
      await api.workspaces.inject.mutate({ workspaceId: other.id });
      const config = await other.sh('git config --get-regexp "^credential\\..*usehttppath"');
      assert.equal(config.trim(), `credential.${server.url}.usehttppath true`);
      const out = await other.sh(
        `cd /tmp && git clone -q ${server.url}/acme/tools.git && git clone -q ${server.url}/me/lib.git && cat tools/README.md lib/README.md`,
        { env: ['GIT_TERMINAL_PROMPT=0'] },
      );
      assert.equal(out, 'work repository\npersonal repository\n');
      const wrong = await other.exec([
        'sh',
        '-c',
        `printf 'protocol=http\\nhost=${new URL(server.url).host}\\npath=acme/../me/lib.git\\n\\n' | ~/bin/git-credential-xares get`,
      ]);
      assert.ok(!wrong.stdout.includes(work), 'the work token answered a path outside acme');
    } finally {
      await other.remove();
      await server.stop();
      rmSync(repos, { recursive: true, force: true });
    }
  });
});
