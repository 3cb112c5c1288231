// `xares-credentials user disable NAME` with real containers (docker tier): the user's running
// workspaces lose the SSH key and .env, their workspace tokens and the user's sessions die; with
// the engine unreachable the user is still disabled and revoked, and the command says what is
// left and exits non-zero, so that running it again once the engine answers finishes the job.
import assert from 'node:assert/strict';
import { createSession } from '../../../service/accounts/sessions';
import { runCli, hasNoStack } from '../../support/cli';
import { createWorkspace, type TestWorkspace } from '../../support/docker';
import { tierSuite } from '../../support/tiers';
import { addAiKey, openFixture, type Fixture } from '../workspaces/fixture';

const HOME = '/home/coder';

tierSuite('docker', 'user disable clears the user’s workspaces', function () {
  this.timeout(180_000);
  let f: Fixture;
  const containers: TestWorkspace[] = [];
  const track = (w: TestWorkspace) => (containers.push(w), w);
  const has = async (ws: TestWorkspace, p: string) =>
    (await ws.exec(['test', '-e', p], { user: 'root' })).code === 0;

  before(async () => {
    f = await openFixture();
  });
  after(async () => {
    await Promise.all(containers.map((c) => c.remove()));
    await f?.close();
  });

  async function injectedUser() {
    const u = await f.addUser();
    await addAiKey(f, u.user.id, 'openai', `sk-${u.user.username}-openai`);
    const ws = track(await createWorkspace(f.docker, { owner: u.user.username }));
    await f.service.inject(u.caller, ws.id);
    assert.ok(await has(ws, `${HOME}/.ssh/id_ed25519`));
    assert.ok(await has(ws, `${HOME}/.env`));
    const workspaceToken = await ws.sh('cat ~/.config/xares/workspace-token');
    const { token: userToken } = await createSession(f.store.db, {
      userId: u.user.id,
      kind: 'user',
      timeoutSeconds: 3600,
    });
    assert.ok(await f.sessionOf(workspaceToken));
    return { ...u, ws, workspaceToken, userToken };
  }

  it('removes the key and .env from the running workspace and revokes every token', async () => {
    const alice = await injectedUser();
    // A label secret set after the injection: the unsigned container is cleared all the same,
    // since the record of the injection, not the label, says what is ours to remove.
    const result = await runCli(['user', 'disable', alice.user.username], {
      env: { ...f.store.env, CREDENTIAL_WORKSPACE_LABEL_SECRET: 'x'.repeat(64) },
    });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /cleared 1 workspace/);
    for (const gone of ['.ssh/id_ed25519', '.env', '.config/xares/workspace-token']) {
      assert.equal(await has(alice.ws, `${HOME}/${gone}`), false, `${gone} is still there`);
    }
    assert.equal(await f.sessionOf(alice.workspaceToken), undefined);
    assert.equal(await f.sessionOf(alice.userToken), undefined);
    const open = await f.store.db
      .selectFrom('workspace_injections')
      .select('id')
      .where('user_id', '=', alice.user.id)
      .where('cleared_at', 'is', null)
      .execute();
    assert.deepEqual(open, []);
    const cleared = await f.store.db
      .selectFrom('audit_log')
      .select(['outcome', 'workspace_id'])
      .where('user_id', '=', alice.user.id)
      .where('action', '=', 'clear')
      .execute();
    assert.deepEqual(cleared, [{ outcome: 'success', workspace_id: alice.ws.id }]);
  });

  it('with Docker unreachable: disables and revokes anyway, says so, and a second run clears', async () => {
    const bob = await injectedUser();
    const down = await runCli(['user', 'disable', bob.user.username], {
      env: { ...f.store.env, DOCKER_HOST: 'unix:///nonexistent/docker.sock' },
    });
    assert.equal(down.code, 1, down.stdout);
    assert.ok(hasNoStack(down.stderr), down.stderr);
    assert.match(down.stdout, new RegExp(`disabled '${bob.user.username}'`));
    assert.match(down.stderr, /Docker engine .*not reachable/);
    assert.match(down.stderr, /1 workspace/);
    assert.match(down.stderr, /run `xares-credentials user disable \S+` again/);
    const row = await f.store.db
      .selectFrom('users')
      .select('disabled')
      .where('id', '=', bob.user.id)
      .executeTakeFirstOrThrow();
    assert.equal(row.disabled, 1);
    assert.equal(await f.sessionOf(bob.workspaceToken), undefined);
    assert.equal(await f.sessionOf(bob.userToken), undefined);
    // the files could not be removed, and the record says so
    assert.ok(await has(bob.ws, `${HOME}/.ssh/id_ed25519`));

    const again = await runCli(['user', 'disable', bob.user.username], { env: f.store.env });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /cleared 1 workspace/);
    assert.equal(await has(bob.ws, `${HOME}/.ssh/id_ed25519`), false);
    assert.equal(await has(bob.ws, `${HOME}/.env`), false);
  });
});
