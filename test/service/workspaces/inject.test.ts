// Injection into real containers (docker tier): every file with its owner and mode in one
// exec of tar run as the workspace user, the user's own dotfile lines kept, canary keys written exactly, SSH clone from
// a loopback sshd with the injected key, owner checks, and clear removing exactly what was put.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AppError } from '../../../service/errors';
import { updateSettings } from '../../../service/store/settings';
import { createWorkspace, type TestWorkspace } from '../../support/docker';
import { makeBareRepo, startSshGitServer } from '../../support/gitServers';
import { tierSuite } from '../../support/tiers';
import { addAiKey, containerActions, openFixture, type Fixture } from './fixture';

const HOME = '/home/coder';
const CANARY = `q'uo"te $(touch /tmp/pwned) \`touch /tmp/pwned\` \\ $HOME end`;

tierSuite('docker', 'workspace injection into a container', function () {
  this.timeout(120_000);
  let f: Fixture;
  const containers: TestWorkspace[] = [];
  const track = (w: TestWorkspace) => (containers.push(w), w);

  before(async () => {
    f = await openFixture();
  });
  after(async () => {
    await Promise.all(containers.map((c) => c.remove()));
    await f?.close();
  });

  const snapshot = (ws: TestWorkspace) =>
    ws.sh(`cd ${HOME} && find . -printf '%p %m %u %s %T@\\n' | sort`);

  it('writes every file of contract section 6 as the workspace user, in one exec of tar and no upload', async () => {
    const alice = await f.addUser();
    await addAiKey(f, alice.user.id, 'openai', 'sk-openai-1234');
    // Keys in ~/.env (the gateway mode is tested in test/service/gateway/container.test.ts).
    await updateSettings(f.store.db, alice.user.id, { aiKeyDelivery: 'environment' });
    const ws = track(await createWorkspace(f.docker, { owner: alice.user.username }));
    await ws.sh(
      `printf '[user]\\n\\tname = Alice Own\\n[alias]\\n\\tst = status\\n' > ~/.gitconfig`,
    );
    const since = Date.now() / 1000;
    const result = await f.service.inject(alice.caller, ws.name);
    const until = Date.now() / 1000 + 0.5;
    assert.equal(result.injected, true);
    assert.equal(result.workspaceId, ws.id);
    assert.ok(result.files.includes('.ssh/id_ed25519'));

    // One transfer (contract section 6): one exec, as the workspace user, reading the archive;
    // no archive upload, which the engine extracts as root.
    const actions = await containerActions(f, ws.id, since, until);
    const starts = actions.filter((a) => a.startsWith('exec_start'));
    assert.equal(starts.length, 1, actions.join(','));
    assert.match(starts[0]!, /xares-write/);
    assert.equal(actions.filter((a) => a === 'extract-to-dir').length, 0, actions.join(','));

    const stat = await ws.sh(
      `cd ${HOME} && stat -c '%n %a %U %G' .ssh .ssh/id_ed25519 .ssh/id_ed25519.pub .gitconfig .config/xares .config/xares/gitconfig .config/xares/workspace-token .config/xares/service-url .env bin/git-credential-xares bin/create-repo bin/create-github-repo bin/create-forgejo-repo bin/create-gitlab-repo bin/git-helper .aider.conf.yml .continue/config.yaml .config/opencode/opencode.json`,
    );
    const modes = Object.fromEntries(
      stat
        .trim()
        .split('\n')
        .map((l) => {
          const [name, mode, u, g] = l.split(' ');
          assert.equal(`${u}:${g}`, 'coder:coder', `${name} owner`);
          return [name, mode];
        }),
    );
    assert.deepEqual(modes, {
      '.ssh': '700',
      '.ssh/id_ed25519': '600',
      '.ssh/id_ed25519.pub': '644',
      '.gitconfig': '644',
      '.config/xares': '700',
      '.config/xares/gitconfig': '644',
      '.config/xares/workspace-token': '600',
      '.config/xares/service-url': '644',
      '.env': '600',
      'bin/git-credential-xares': '755',
      'bin/create-repo': '755',
      'bin/create-github-repo': '755',
      'bin/create-forgejo-repo': '755',
      'bin/create-gitlab-repo': '755',
      'bin/git-helper': '755',
      '.aider.conf.yml': '600',
      '.continue/config.yaml': '600',
      '.config/opencode/opencode.json': '600',
    });

    // The key pair is the user's: ssh-keygen derives the stored public key from the file.
    const derived = await ws.sh('ssh-keygen -y -f ~/.ssh/id_ed25519');
    assert.equal(
      derived.trim().split(' ').slice(0, 2).join(' '),
      alice.publicKey.split(' ').slice(0, 2).join(' '),
    );
    assert.equal((await ws.sh('cat ~/.config/xares/service-url')).trim(), 'http://127.0.0.1:7399');

    // The user's own lines stay and win; our include is there once, also after a second injection.
    await f.service.inject(alice.caller, ws.id.slice(0, 12));
    const gitconfig = await ws.sh('cat ~/.gitconfig');
    assert.equal(gitconfig.split('path = ~/.config/xares/gitconfig').length, 2, gitconfig);
    assert.ok(gitconfig.endsWith('[user]\n\tname = Alice Own\n[alias]\n\tst = status\n'));
    assert.equal((await ws.sh('cd /tmp && git config user.name')).trim(), 'Alice Own');
    assert.equal(
      (await ws.sh('cd /tmp && git config user.email')).trim(),
      `${alice.user.username}@xaresaicoder.local`,
    );
    assert.equal(
      (await ws.sh('cd /tmp && git config credential.helper')).trim(),
      `!'${HOME}/bin/git-credential-xares'`,
    );
    assert.equal(
      (await ws.sh('grep -c "xares-credentials >>>" ~/.bashrc ~/.profile')).trim(),
      '/home/coder/.bashrc:1\n/home/coder/.profile:1',
    );

    // The token is a live workspace session bound to this container; the first one was replaced.
    const token = await ws.sh('cat ~/.config/xares/workspace-token');
    const live = await f.sessionOf(token);
    assert.equal(live?.session.kind, 'workspace');
    assert.equal(live?.session.workspace_id, ws.id);
    const sessions = await f.store.db
      .selectFrom('sessions')
      .select(['revoked_at'])
      .where('workspace_id', '=', ws.id)
      .execute();
    assert.deepEqual(sessions.map((s) => s.revoked_at === null).sort(), [false, true]);

    const audit = await f.store.db
      .selectFrom('audit_log')
      .select(['action', 'outcome', 'workspace_id', 'credential_id'])
      .where('user_id', '=', alice.user.id)
      .where('action', '=', 'inject')
      .execute();
    assert.equal(
      audit.filter(
        (a) => a.outcome === 'success' && a.credential_id === null && a.workspace_id === ws.id,
      ).length,
      2,
    );
    // each revealed secret (SSH key, OpenAI key) has its own row per injection
    assert.equal(audit.filter((a) => a.credential_id !== null).length, 4);
  });

  it('writes canary keys exactly: a login shell sees them, nothing in them runs', async () => {
    const bob = await f.addUser();
    await updateSettings(f.store.db, bob.user.id, { aiKeyDelivery: 'environment' });
    await addAiKey(f, bob.user.id, 'openai', CANARY);
    await addAiKey(f, bob.user.id, 'anthropic', `${CANARY}-ant`);
    await addAiKey(f, bob.user.id, 'google', `${CANARY}-goo`);
    await addAiKey(f, bob.user.id, 'custom', `${CANARY}-cus`, 'MY_TOOL_KEY');
    const ws = track(await createWorkspace(f.docker, { owner: bob.user.username }));
    await f.service.inject(bob.caller, ws.id);
    const r = await ws.exec([
      'bash',
      '-lc',
      'printf "%s|%s|%s|%s|%s" "$OPENAI_API_KEY" "$ANTHROPIC_API_KEY" "$GEMINI_API_KEY" "$GOOGLE_API_KEY" "$MY_TOOL_KEY"',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      [CANARY, `${CANARY}-ant`, `${CANARY}-goo`, `${CANARY}-goo`, `${CANARY}-cus`].join('|'),
    );
    const interactive = await ws.exec(['bash', '-ic', 'printf "%s" "$OPENAI_API_KEY"']);
    assert.equal(interactive.stdout, CANARY);
    const path = await ws.exec(['bash', '-lc', 'command -v create-repo']);
    assert.equal(path.stdout.trim(), `${HOME}/bin/create-repo`);
    // no tool configuration holds the key: they name the variable, the helper prints it exactly
    const aider = await ws.sh('cat ~/.aider.conf.yml');
    assert.ok(!aider.includes('touch /tmp/pwned'));
    const oc = JSON.parse(await ws.sh('cat ~/.config/opencode/opencode.json')) as {
      provider: { openai: { options: { apiKey: string } } };
    };
    assert.equal(oc.provider.openai.options.apiKey, '{env:OPENAI_API_KEY}');
    const helper = await ws.exec(['bash', '-lc', 'xares-ai-key anthropic']);
    assert.equal(helper.stdout, `${CANARY}-ant\n`);
    const marker = await ws.exec(['test', '-e', '/tmp/pwned']);
    assert.notEqual(marker.code, 0, 'a canary value was executed');
  });

  it('clones over SSH from a loopback sshd that accepts only the injected key', async () => {
    const carol = await f.addUser();
    const repoDir = mkdtempSync(path.join(os.tmpdir(), 'xares-ssh-repos-'));
    const bare = makeBareRepo(repoDir, 'demo', 'hello over ssh\n');
    const sshd = await startSshGitServer(carol.publicKey, repoDir);
    try {
      const ws = track(
        await createWorkspace(f.docker, { owner: carol.user.username, network: 'host' }),
      );
      const clone = (dest: string) =>
        ws.exec(
          [
            'sh',
            '-c',
            `git clone -q "$1" "$2" && cat "$2/README.md"`,
            'x',
            `ssh://${sshd.user}@127.0.0.1:${sshd.port}${bare}`,
            dest,
          ],
          {
            env: [
              `GIT_SSH_COMMAND=ssh -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes`,
            ],
          },
        );
      const before = await clone('/tmp/before');
      assert.notEqual(before.code, 0, 'cloned without a key');
      await f.service.inject(carol.caller, ws.id);
      const after = await clone('/tmp/after');
      assert.equal(after.code, 0, `${after.stderr}\n${sshd.log()}`);
      assert.equal(after.stdout, 'hello over ssh\n');
    } finally {
      await sshd.stop();
      rmSync(repoDir, { recursive: true, force: true });
    }
  });

  it("answers another user's inject and clear as if the container did not exist, audits them as denied and changes nothing", async () => {
    const owner = await f.addUser();
    const intruder = await f.addUser();
    await addAiKey(f, intruder.user.id, 'openai', 'sk-intruder');
    const ws = track(await createWorkspace(f.docker, { owner: owner.user.username }));
    await f.service.inject(owner.caller, ws.id);
    const before = await snapshot(ws);
    for (const call of [
      () => f.service.inject(intruder.caller, ws.id),
      () => f.service.clear(intruder.caller, ws.name),
    ]) {
      await assert.rejects(call(), (e: unknown) => e instanceof AppError && e.code === 'NOT_FOUND');
    }
    await assert.rejects(
      f.service.inject(intruder.caller, 'no-such-container-xyz'),
      (e: unknown) => e instanceof AppError && e.code === 'NOT_FOUND',
    );
    assert.equal(await snapshot(ws), before);
    const denied = await f.store.db
      .selectFrom('audit_log')
      .select(['action', 'outcome', 'workspace_id'])
      .where('user_id', '=', intruder.user.id)
      .where('outcome', '=', 'denied')
      .execute();
    // A container that is not there is refused like another user's: audited as denied too,
    // under the id as given (resolving it would look beyond the caller's own containers).
    assert.deepEqual(denied.map((d) => [d.action, d.workspace_id]).sort(), [
      ['clear', ws.name],
      ['inject', ws.id],
      ['inject', 'no-such-container-xyz'],
    ]);
    const intruderSessions = await f.store.db
      .selectFrom('sessions')
      .select('id')
      .where('user_id', '=', intruder.user.id)
      .execute();
    assert.equal(intruderSessions.length, 0);
    // a workspace session acts only on its own container
    const token = (await ws.sh('cat ~/.config/xares/workspace-token')).trim();
    const other = track(await createWorkspace(f.docker, { owner: owner.user.username }));
    const live = await f.sessionOf(token);
    const wsCaller = {
      ...owner.caller,
      sessionKind: 'workspace' as const,
      sessionId: live!.session.id,
      workspaceId: ws.id,
    };
    await assert.rejects(
      f.service.inject(wsCaller, other.id),
      (e: unknown) => e instanceof AppError && e.code === 'FORBIDDEN',
    );
    assert.deepEqual(
      (await f.service.list(wsCaller)).map((w) => w.id),
      [ws.id],
    );
    const listed = await f.service.list(owner.caller);
    assert.deepEqual(listed.map((w) => w.id).sort(), [ws.id, other.id].sort());
    assert.ok(listed.find((w) => w.id === ws.id)?.injectedAt);
    assert.equal(listed.find((w) => w.id === other.id)?.injectedAt, null);
    assert.deepEqual(await f.service.list(intruder.caller), []);
  });

  it('clear removes exactly the injected files, keeps user changes and kills the token', async () => {
    const dave = await f.addUser();
    await addAiKey(f, dave.user.id, 'anthropic', 'sk-ant-dave');
    const ws = track(await createWorkspace(f.docker, { owner: dave.user.username }));
    await ws.sh(
      `printf '[alias]\\n\\tco = checkout\\n' > ~/.gitconfig && mkdir -p ~/bin && echo mine > ~/bin/my-tool && echo 'model: my-own' > ~/.aider.conf.yml`,
    );
    const pristine = await snapshot(ws);
    const dotfiles = await ws.sh('cat ~/.gitconfig ~/.bashrc ~/.profile | sha256sum');

    const first = await f.service.inject(dave.caller, ws.id);
    assert.equal(first.files.includes('.aider.conf.yml'), false, 'replaced the user’s own file');
    assert.ok(first.files.includes('.continue/config.yaml'));
    await ws.sh(`echo '# my own tweak' >> ~/.continue/config.yaml`);
    // a re-injection keeps the user's change too
    const again = await f.service.inject(dave.caller, ws.id);
    assert.equal(again.files.includes('.continue/config.yaml'), false);
    assert.match(await ws.sh('cat ~/.continue/config.yaml'), /# my own tweak/);
    const token = await ws.sh('cat ~/.config/xares/workspace-token');
    assert.ok(await f.sessionOf(token));

    const cleared = await f.service.clear(dave.caller, ws.id);
    assert.equal(cleared.cleared, true);
    assert.ok(cleared.files.includes('.ssh/id_ed25519'));
    assert.ok(cleared.files.includes('.env'));
    assert.equal(cleared.files.includes('.continue/config.yaml'), false);
    // the user's own Aider file, there before any injection, was never ours
    assert.equal(cleared.files.includes('.aider.conf.yml'), false);
    assert.equal(await ws.sh('cat ~/.aider.conf.yml'), 'model: my-own\n');
    assert.equal(await f.sessionOf(token), undefined, 'workspace token still valid after clear');
    assert.equal(await ws.sh('cat ~/.gitconfig ~/.bashrc ~/.profile | sha256sum'), dotfiles);
    // Everything is as before except the user's own modified file (and its directory).
    const now = await snapshot(ws);
    const strip = (s: string) =>
      s
        .split('\n')
        .map((l) => l.replace(/ [\d.]+$/, '')) // directory mtimes change when entries come and go
        .filter((l) => !l.startsWith('./.continue'))
        .join('\n');
    assert.equal(strip(now), strip(pristine));
    assert.match(now, /\.\/\.continue\/config\.yaml 600 coder/);
    assert.equal(
      (await ws.exec(['test', '-e', `${HOME}/.ssh`])).code,
      1,
      'the .ssh the injection created was removed',
    );
    const rows = await f.store.db
      .selectFrom('workspace_injections')
      .select('cleared_at')
      .where('workspace_id', '=', ws.id)
      .execute();
    assert.ok(rows.every((r) => r.cleared_at !== null));
  });
});
