// Symlinks a workspace user plants against injection (docker tier): a link in the place of a
// directory injection writes into, of a file it writes, of a dotfile it edits, swapped in
// between two injections, and under what clear removes. Whatever the trick, nothing outside the
// home changes (no file appears there, none owned by the user lands in a root-owned directory,
// nothing is removed), nothing in the home is world-writable, and a stow-style dotfile link keeps
// working with the user's settings.
import assert from 'node:assert/strict';
import { AppError } from '../../../service/errors';
import { createWorkspace, type TestWorkspace } from '../../support/docker';
import { tierSuite } from '../../support/tiers';
import { addAiKey, openFixture, type Fixture } from './fixture';

const HOME = '/home/coder';

/** Everything outside the home (path, mode, owner, size, mtime, link target), as root sees it. */
async function outside(ws: TestWorkspace): Promise<string> {
  const r = await ws.exec(
    [
      'sh',
      '-c',
      // (the root directory itself is left out: the engine touches its mtime on every exec)
      `find / -xdev -mindepth 1 -path ${HOME} -prune -o -printf '%p %m %U:%G %s %T@ %l\\n' | sort`,
    ],
    { user: 'root' },
  );
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

/** The lines that differ between two listings, for a readable failure. */
function changes(before: string, after: string): string[] {
  const a = new Set(before.split('\n'));
  const b = new Set(after.split('\n'));
  return [
    ...[...a].filter((l) => !b.has(l)).map((l) => `- ${l}`),
    ...[...b].filter((l) => !a.has(l)).map((l) => `+ ${l}`),
  ];
}

async function assertNothingOutsideChanged(ws: TestWorkspace, before: string): Promise<void> {
  assert.deepEqual(changes(before, await outside(ws)), [], 'changed outside the home');
}

/** Nothing in the home is world-writable or owned by anyone but the workspace user. */
async function assertHomeSane(ws: TestWorkspace): Promise<void> {
  const bad = await ws.sh(
    `find ${HOME} \\( -perm -0002 ! -type l \\) -printf 'world-writable %p\\n' -o ! -user coder -printf 'foreign %p\\n'`,
  );
  assert.equal(bad, '');
}

async function outcome(p: Promise<unknown>): Promise<AppError | 'ok'> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
}

tierSuite('docker', 'injection and symlinks the workspace user planted', function () {
  this.timeout(180_000);
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

  async function userWithKeys() {
    const u = await f.addUser();
    await addAiKey(f, u.user.id, 'openai', 'sk-openai-link');
    await addAiKey(f, u.user.id, 'anthropic', 'sk-ant-link');
    return u;
  }

  // A directory injection writes into, replaced by a link: to a root-owned system directory
  // (files owned by the user would land there, an apt hook would run as root), or to a place
  // outside the home the user can write.
  const parentLinks: Array<{ dir: string; target: string; setup?: string }> = [
    { dir: 'bin', target: '/usr/local/bin' },
    { dir: '.config', target: '/etc/apt/apt.conf.d' },
    { dir: '.config/xares', target: '/usr/local/lib', setup: 'mkdir -p ~/.config' },
    { dir: '.ssh', target: '/etc/ssh' },
    { dir: '.continue', target: '/usr/local/share' },
    { dir: '.config/opencode', target: '/etc/apt/apt.conf.d', setup: 'mkdir -p ~/.config' },
    { dir: 'bin', target: '/tmp/elsewhere', setup: 'mkdir -p /tmp/elsewhere' },
  ];
  for (const c of parentLinks) {
    it(`never writes through ~/${c.dir} linked to ${c.target}`, async () => {
      const u = await userWithKeys();
      const ws = track(await createWorkspace(f.docker, { owner: u.user.username }));
      await ws.sh(`${c.setup ?? 'true'} && ln -s ${c.target} ~/${c.dir}`);
      const before = await outside(ws);
      const result = await outcome(f.service.inject(u.caller, ws.id));
      await assertNothingOutsideChanged(ws, before);
      await assertHomeSane(ws);
      // The link is the user's: left as it is, and the answer says why nothing was written.
      assert.equal((await ws.sh(`readlink ~/${c.dir}`)).trim(), c.target);
      assert.ok(result instanceof AppError, 'the injection went through a link');
      assert.equal(result.code, 'CONFLICT');
      assert.match(result.message, new RegExp(`~/${c.dir.replace('.', '\\.')} is a symbolic link`));
      assert.equal(
        (await ws.exec(['test', '-e', `${HOME}/.config/xares/workspace-token`])).code,
        1,
      );
    });
  }

  it('replaces a linked file of its own instead of writing through it', async () => {
    const u = await userWithKeys();
    const ws = track(await createWorkspace(f.docker, { owner: u.user.username }));
    await ws.sh(
      [
        'mkdir -p ~/bin ~/.ssh ~/.config/xares /tmp/loot',
        'ln -s /usr/local/bin/git-credential-xares ~/bin/git-credential-xares',
        'ln -s /etc/ssh/ssh_config ~/.ssh/id_ed25519',
        'ln -s /tmp/loot/token ~/.config/xares/workspace-token',
        'ln -s /tmp/loot/env ~/.env',
      ].join(' && '),
    );
    const before = await outside(ws);
    await f.service.inject(u.caller, ws.id);
    await assertNothingOutsideChanged(ws, before);
    await assertHomeSane(ws);
    const st = await ws.sh(
      `cd ${HOME} && stat -c '%n %F %a' bin/git-credential-xares .ssh/id_ed25519 .config/xares/workspace-token .env`,
    );
    assert.equal(
      st,
      [
        'bin/git-credential-xares regular file 755',
        '.ssh/id_ed25519 regular file 600',
        '.config/xares/workspace-token regular file 600',
        '.env regular file 600',
        '',
      ].join('\n'),
    );
  });

  it('refuses, saying why, when a directory stands where it writes a file', async () => {
    const u = await userWithKeys();
    const ws = track(await createWorkspace(f.docker, { owner: u.user.username }));
    await ws.sh('mkdir -p ~/.env/mine && echo keep > ~/.env/mine/file');
    const result = await outcome(f.service.inject(u.caller, ws.id));
    assert.ok(result instanceof AppError && result.code === 'CONFLICT', String(result));
    assert.match(result.message, /~\/\.env is a directory/);
    assert.equal(await ws.sh('cat ~/.env/mine/file'), 'keep\n');
  });

  it('writes into a stow-style dotfile link inside the home, keeps the link, the mode and the settings', async () => {
    const u = await userWithKeys();
    const ws = track(await createWorkspace(f.docker, { owner: u.user.username }));
    await ws.sh(
      [
        'mkdir -p ~/dotfiles/git',
        `printf '[user]\\n\\tname = Stow User\\n' > ~/dotfiles/git/gitconfig`,
        'chmod 640 ~/dotfiles/git/gitconfig',
        'mv ~/.bashrc ~/dotfiles/bashrc && mv ~/.profile ~/dotfiles/profile',
        'ln -s dotfiles/git/gitconfig ~/.gitconfig',
        'ln -s dotfiles/bashrc ~/.bashrc',
        `ln -s ${HOME}/dotfiles/profile ~/.profile`,
      ].join(' && '),
    );
    const pristine = await ws.sh('cd ~/dotfiles && sha256sum git/gitconfig bashrc profile');
    const before = await outside(ws);
    await f.service.inject(u.caller, ws.id);
    await f.service.inject(u.caller, ws.id); // a second one finds its block and adds nothing
    await assertNothingOutsideChanged(ws, before);
    await assertHomeSane(ws);
    assert.equal(
      await ws.sh(`cd ${HOME} && stat -c '%n %F %a' .gitconfig .bashrc .profile`),
      '.gitconfig symbolic link 777\n.bashrc symbolic link 777\n.profile symbolic link 777\n',
    );
    assert.equal(
      await ws.sh(`cd ${HOME}/dotfiles && stat -c '%n %F %a' git/gitconfig bashrc profile`),
      'git/gitconfig regular file 640\nbashrc regular file 644\nprofile regular file 644\n',
    );
    const gitconfig = await ws.sh('cat ~/dotfiles/git/gitconfig');
    assert.equal(gitconfig.split('path = ~/.config/xares/gitconfig').length, 2, gitconfig);
    assert.ok(gitconfig.endsWith('[user]\n\tname = Stow User\n'), gitconfig);
    assert.equal((await ws.sh('cd /tmp && git config user.name')).trim(), 'Stow User');
    assert.equal(
      (await ws.sh('cd /tmp && git config credential.helper')).trim(),
      `!'${HOME}/bin/git-credential-xares'`,
    );
    const login = await ws.exec([
      'bash',
      '-lc',
      // The linked profile still sources ~/.env (in gateway mode the variable holds the
      // workspace's gateway token, never the key itself).
      'command -v create-repo && echo "${OPENAI_API_KEY:+set}"',
    ]);
    assert.equal(login.stdout, `${HOME}/bin/create-repo\nset\n`, login.stderr);
    assert.equal(
      (await ws.sh('grep -c "xares-credentials >>>" ~/dotfiles/bashrc ~/dotfiles/profile')).trim(),
      `${HOME}/dotfiles/bashrc:1\n${HOME}/dotfiles/profile:1`,
    );

    // clear takes the blocks out of the link targets again, and leaves the links.
    await f.service.clear(u.caller, ws.id);
    assert.equal(await ws.sh('cd ~/dotfiles && sha256sum git/gitconfig bashrc profile'), pristine);
    assert.equal(
      await ws.sh('readlink ~/.gitconfig ~/.bashrc ~/.profile'),
      ['dotfiles/git/gitconfig', 'dotfiles/bashrc', `${HOME}/dotfiles/profile`, ''].join('\n'),
    );
    await assertNothingOutsideChanged(ws, before);
  });

  it('leaves a dotfile linked outside the home alone, never a 0777 file', async () => {
    const u = await userWithKeys();
    const ws = track(await createWorkspace(f.docker, { owner: u.user.username }));
    await ws.sh(
      [
        'mkdir -p /tmp/shared',
        `printf '[user]\\n\\tname = Shared\\n' > /tmp/shared/gitconfig`,
        'ln -s /tmp/shared/gitconfig ~/.gitconfig',
        'ln -s /etc/bash.bashrc ~/.bashrc.new && mv ~/.bashrc.new ~/.bashrc',
      ].join(' && '),
    );
    const before = await outside(ws);
    const result = await f.service.inject(u.caller, ws.id);
    await assertNothingOutsideChanged(ws, before);
    await assertHomeSane(ws);
    assert.equal(result.files.includes('.gitconfig'), false);
    assert.equal(result.files.includes('.bashrc'), false);
    assert.equal(
      (await ws.sh('readlink ~/.gitconfig ~/.bashrc')).trim(),
      '/tmp/shared/gitconfig\n/etc/bash.bashrc',
    );
    // The login profile, a plain file, still gets the block.
    assert.equal((await ws.sh('grep -c "xares-credentials >>>" ~/.profile')).trim(), '1');
    const audit = await f.store.db
      .selectFrom('audit_log')
      .select('detail')
      .where('user_id', '=', u.user.id)
      .where('action', '=', 'inject')
      .where('credential_id', 'is', null)
      .executeTakeFirstOrThrow();
    assert.match(audit.detail ?? '', /\.gitconfig.*outside the home/);
  });

  it('refuses a link swapped in between two injections, and clear does not follow it', async () => {
    const u = await userWithKeys();
    const ws = track(await createWorkspace(f.docker, { owner: u.user.username }));
    // The user's own directories, there before the first injection.
    await ws.sh('mkdir -p ~/.config ~/bin && echo mine > ~/bin/my-tool');
    await f.service.inject(u.caller, ws.id);
    // Then .config becomes a link to apt's hook directory, bin one to /usr/local/bin, and
    // .continue (which the first injection created) one to /usr/local/share.
    await ws.sh(
      [
        'mv ~/.config /tmp/moved-config && ln -s /etc/apt/apt.conf.d ~/.config',
        'mv ~/bin /tmp/moved-bin && ln -s /usr/local/bin ~/bin',
        'mv ~/.continue /tmp/moved-continue && ln -s /usr/local/share ~/.continue',
      ].join(' && '),
    );
    const before = await outside(ws);
    const second = await outcome(f.service.inject(u.caller, ws.id));
    await assertNothingOutsideChanged(ws, before);
    await assertHomeSane(ws);
    assert.ok(second instanceof AppError && second.code === 'CONFLICT', String(second));
    for (const dir of ['~/.config', '~/bin', '~/.continue']) {
      assert.ok(second.message.includes(`${dir} is a symbolic link`), second.message);
    }

    // clear: our files, moved out of the home and linked back in, stay where they are.
    await ws.sh(
      'rm ~/.config ~/bin && ln -s /tmp/moved-config ~/.config && ln -s /tmp/moved-bin ~/bin',
    );
    const beforeClear = await outside(ws);
    assert.match(beforeClear, /\/tmp\/moved-config\/xares\/workspace-token 600/);
    await f.service.clear(u.caller, ws.id);
    await assertNothingOutsideChanged(ws, beforeClear);
    assert.equal(await ws.sh('readlink ~/.config ~/bin'), '/tmp/moved-config\n/tmp/moved-bin\n');
  });

  it('copies nothing of a file that is not the user’s into a dotfile (a hard link to /etc/shadow)', async () => {
    // Where the kernel lets users hard-link files they do not own (fs.protected_hardlinks=0);
    // here root makes the link for them.
    const u = await userWithKeys();
    const ws = track(await createWorkspace(f.docker, { owner: u.user.username }));
    const ln = await ws.exec(['sh', '-c', `rm ${HOME}/.bashrc && ln /etc/shadow ${HOME}/.bashrc`], {
      user: 'root',
    });
    assert.equal(ln.code, 0, ln.stderr);
    const before = await outside(ws);
    const result = await f.service.inject(u.caller, ws.id);
    await assertNothingOutsideChanged(ws, before);
    assert.equal(result.files.includes('.bashrc'), false);
    const leaked = await ws.exec(['sh', '-c', `grep -rl '^root:' ${HOME} || true`]);
    assert.equal(leaked.stdout, '', 'the shadow file was copied into the home');
  });

  it('answers BAD_REQUEST saying so when the image has no tar, and writes nothing', async () => {
    const u = await userWithKeys();
    const ws = track(await createWorkspace(f.docker, { owner: u.user.username }));
    const rm = await ws.exec(['sh', '-c', 'rm "$(command -v tar)"'], { user: 'root' });
    assert.equal(rm.code, 0, rm.stderr);
    const before = await ws.sh(`cd ${HOME} && find . | sort`);
    const result = await outcome(f.service.inject(u.caller, ws.id));
    assert.ok(result instanceof AppError && result.code === 'BAD_REQUEST', String(result));
    assert.match(result.message, /no tar command/);
    assert.equal(await ws.sh(`cd ${HOME} && find . | sort`), before);
  });

  it('clear removes nothing through a linked .ssh and rewrites no dotfile through a link', async () => {
    const u = await userWithKeys();
    const ws = track(await createWorkspace(f.docker, { owner: u.user.username }));
    await f.service.inject(u.caller, ws.id);
    await ws.sh(
      [
        'mkdir -p /tmp/keys && cp -p ~/.ssh/id_ed25519 ~/.ssh/id_ed25519.pub /tmp/keys/',
        'rm -rf ~/.ssh && ln -s /tmp/keys ~/.ssh',
        'cp -p ~/.gitconfig /tmp/gitconfig && ln -sf /tmp/gitconfig ~/.gitconfig',
      ].join(' && '),
    );
    const before = await outside(ws);
    await f.service.clear(u.caller, ws.id);
    await assertNothingOutsideChanged(ws, before);
    assert.equal((await ws.sh('readlink ~/.ssh ~/.gitconfig')).trim(), '/tmp/keys\n/tmp/gitconfig');
  });
});
