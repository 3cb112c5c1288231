// The one exec an injection runs in the workspace (docker tier): started before the content is
// known, it must leave the workspace untouched when the service goes away before the write;
// it runs only as a login user the engine looks up by name (never a uid a label or the workspace
// could give); the inject answer says which dotfile was left alone and why; and a dotfile the
// user edited to the nanosecond keeps the manifest readable, so clear still removes everything.
import assert from 'node:assert/strict';
import { AppError } from '../../../service/errors';
import { InjectResultSchema } from '../../../service/api/workspaces';
import { WorkspaceSession } from '../../../service/workspaces/asUser';
import { createWorkspace, waitFor, type TestWorkspace } from '../../support/docker';
import { tierSuite } from '../../support/tiers';
import { openFixture, type Fixture } from './fixture';

const HOME = '/home/coder';

tierSuite('docker', 'the injection exec in the workspace', function () {
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

  const listing = (ws: TestWorkspace) =>
    ws.sh(`cd ${HOME} && find . -printf '%p %m %u %s %T@\\n' | sort`);

  it('answers a note for a ~/.gitconfig linked outside the home, and leaves the link alone', async () => {
    const u = await f.addUser();
    const ws = track(await createWorkspace(f.docker, { owner: u.user.username }));
    await ws.sh(
      [
        'mkdir -p /tmp/shared',
        `printf '[user]\\n\\tname = Shared\\n' > /tmp/shared/gitconfig`,
        'ln -s /tmp/shared/gitconfig ~/.gitconfig',
      ].join(' && '),
    );
    const result = await f.service.inject(u.caller, ws.id);
    // What the API answers (the router's output schema keeps the field).
    const answer = InjectResultSchema.parse(result);
    assert.deepEqual(answer.notes, [
      'left ~/.gitconfig alone: a symbolic link to outside the home',
    ]);
    assert.equal(answer.files.includes('.gitconfig'), false);
    assert.equal((await ws.sh('readlink ~/.gitconfig')).trim(), '/tmp/shared/gitconfig');
    assert.equal(await ws.sh('cat /tmp/shared/gitconfig'), '[user]\n\tname = Shared\n');

    // Nothing left alone: no notes in the answer at all.
    const plain = track(await createWorkspace(f.docker, { owner: u.user.username }));
    assert.equal(
      InjectResultSchema.parse(await f.service.inject(u.caller, plain.id)).notes,
      undefined,
    );
  });

  it('leaves the workspace untouched and no process behind when closed before the write', async () => {
    const ws = track(await createWorkspace(f.docker, { owner: 'nobody-in-particular' }));
    const before = await listing(ws);
    const dotfiles = ['.bashrc', '.profile', '.gitconfig'];
    const session = await WorkspaceSession.open(
      ws.container,
      'coder',
      [...dotfiles, '.ssh'],
      dotfiles,
    );
    assert.deepEqual(session.user, { name: 'coder', uid: 1000, gid: 1000, home: HOME });
    assert.equal(session.stats.get('.bashrc')?.uid, 1000);
    assert.equal(session.stats.get('.ssh'), null);
    // the dotfiles there were read at once, each exactly
    assert.equal(session.eagerRead('.bashrc')?.toString('utf8'), await ws.sh('cat ~/.bashrc'));
    assert.equal(session.eagerRead('.profile')?.toString('utf8'), await ws.sh('cat ~/.profile'));
    assert.equal(session.eagerRead('.gitconfig'), undefined);
    const [read] = await session.read([{ kind: 'read', path: '.bashrc' }]);
    assert.equal(read?.kind, 'file');
    session.close();
    await waitFor(
      async () => !(await ws.sh('ps -eo args')).includes('xares-write'),
      10_000,
      'the exec to end',
    );
    assert.equal(await listing(ws), before);
  });

  it('never runs as a uid: a login user label the engine would read as one is refused', async () => {
    const u = await f.addUser();
    for (const user of ['0', '0:0', 'root:root', '1000']) {
      const ws = track(await createWorkspace(f.docker, { owner: u.user.username, user }));
      await assert.rejects(
        f.service.inject(u.caller, ws.id),
        (e: unknown) => e instanceof AppError && e.code === 'BAD_REQUEST',
        user,
      );
      const r = await ws.exec(['sh', '-c', 'ls -A /root /home/coder'], { user: 'root' });
      assert.doesNotMatch(r.stdout, /\.config|\.ssh|bin/, user);
    }
  });

  it('keeps the manifest readable when a dotfile it left as it was has a nanosecond mtime', async () => {
    const u = await f.addUser();
    const ws = track(await createWorkspace(f.docker, { owner: u.user.username }));
    await f.service.inject(u.caller, ws.id);
    // The user adds a line below our block: the next injection leaves .bashrc as it is and
    // records its mtime, a fraction of a millisecond on this file system.
    await ws.sh('echo "alias ll=\'ls -l\'" >> ~/.bashrc');
    const mtime = (await ws.sh('stat -c %y ~/.bashrc')).trim();
    assert.doesNotMatch(mtime, /\.000000000 /, 'the file system keeps no nanoseconds');
    await f.service.inject(u.caller, ws.id);
    const { files } = await f.service.clear(u.caller, ws.id);
    assert.ok(files.includes('.ssh/id_ed25519'), files.join(','));
    assert.equal(await ws.sh('test -e ~/.ssh/id_ed25519 || echo gone'), 'gone\n');
    assert.equal((await ws.sh('grep -c xares-credentials ~/.bashrc || true')).trim(), '0');
  });
});
