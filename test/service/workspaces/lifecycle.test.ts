// The life around an injection (docker tier): auto-inject across an engine "restart" (the event
// stream cut and refused, then replayed), files of a deleted key removed on the next injection,
// the clear-on-session-timeout sweep, the xaresaicoder.user label, and stopped containers.
import assert from 'node:assert/strict';
import { createSession } from '../../../service/accounts/sessions';
import { deleteCredential, listCredentials } from '../../../service/store/credentials';
import { updateSettings } from '../../../service/store/settings';
import pino from 'pino';
import { AppError } from '../../../service/errors';
import { WorkspaceService } from '../../../service/workspaces';
import {
  createWorkspace,
  startEngineProxy,
  testDocker,
  waitFor,
  type EngineProxy,
  type TestWorkspace,
} from '../../support/docker';
import { tierSuite } from '../../support/tiers';
import { addAiKey, openFixture, type Fixture } from './fixture';

tierSuite('docker', 'workspace injection life cycle', function () {
  this.timeout(180_000);
  const docker = testDocker();
  let f: Fixture;
  let proxy: EngineProxy;
  const containers: TestWorkspace[] = [];
  const track = (w: TestWorkspace) => (containers.push(w), w);
  const has = async (ws: TestWorkspace, p: string) =>
    (await ws.exec(['test', '-e', p], { user: 'root' })).code === 0;

  before(async () => {
    proxy = await startEngineProxy();
    f = await openFixture({}, proxy.docker);
  });
  after(async () => {
    await Promise.all(containers.map((c) => c.remove()));
    await f?.close();
    await proxy?.close();
  });

  it('keeps auto-injecting after the engine connection is cut, replaying starts it missed', async () => {
    const alice = await f.addUser();
    await updateSettings(f.store.db, alice.user.id, { autoInject: true });
    f.service.start();
    await waitFor(async () => f.service.following, 10_000, 'the event stream');
    proxy.outage(2000);
    await waitFor(async () => !f.service.following, 5_000, 'the stream to notice the cut');
    // started while the service cannot see the engine
    const missed = track(
      await createWorkspace(docker, { owner: alice.user.username, start: true }),
    );
    await waitFor(async () => f.service.following, 15_000, 'the stream to reconnect');
    await waitFor(
      async () => has(missed, '/home/coder/.config/xares/workspace-token'),
      10_000,
      'the missed start to be injected',
    );
    const later = track(
      await createWorkspace(docker, { owner: alice.user.username, start: false }),
    );
    await later.container.start();
    await waitFor(
      async () => has(later, '/home/coder/.ssh/id_ed25519'),
      10_000,
      'auto-inject after reconnecting',
    );
  });

  it('answers SERVICE_UNAVAILABLE while the engine is unreachable, and audits the attempt', async () => {
    const frank = await f.addUser();
    const ws = track(await createWorkspace(docker, { owner: frank.user.username }));
    proxy.outage(3000);
    await assert.rejects(
      f.service.inject(frank.caller, ws.id),
      (e: unknown) => e instanceof AppError && e.code === 'SERVICE_UNAVAILABLE',
    );
    await assert.rejects(
      f.service.list(frank.caller),
      (e: unknown) => e instanceof AppError && e.code === 'SERVICE_UNAVAILABLE',
    );
    const rows = await f.store.db
      .selectFrom('audit_log')
      .select(['outcome', 'workspace_id'])
      .where('user_id', '=', frank.user.id)
      .where('action', '=', 'inject')
      .execute();
    assert.deepEqual(rows, [{ outcome: 'failure', workspace_id: ws.id }]);
    const engineBack = () =>
      f.service.list(frank.caller).then(
        () => true,
        () => false,
      );
    await waitFor(engineBack, 15_000, 'the engine to answer again');
    await waitFor(async () => f.service.following, 15_000, 'the stream to reconnect');
    // The next tests inject by hand: no auto-injection may replace the tokens they read.
    await f.service.stop();
  });

  it("removes a deleted key's files on the next injection", async () => {
    const bob = await f.addUser();
    await addAiKey(f, bob.user.id, 'openai', 'sk-bob-openai');
    const ws = track(await createWorkspace(docker, { owner: bob.user.username }));
    await f.service.inject(bob.caller, ws.id);
    assert.ok(await has(ws, '/home/coder/.aider.conf.yml'));
    for (const c of await listCredentials(f.store.db, bob.user.id))
      await deleteCredential(f.store.db, bob.user.id, c.id);
    const again = await f.service.inject(bob.caller, ws.id);
    assert.equal(again.files.includes('.aider.conf.yml'), false);
    for (const gone of [
      '.aider.conf.yml',
      '.continue/config.yaml',
      '.config/opencode/opencode.json',
      '.ssh/id_ed25519',
      '.ssh/id_ed25519.pub',
    ]) {
      assert.equal(await has(ws, `/home/coder/${gone}`), false, gone);
    }
    assert.doesNotMatch(await ws.sh('cat ~/.env'), /OPENAI/);
    assert.ok(await has(ws, '/home/coder/bin/git-credential-xares'));
  });

  it('clears the workspaces of a user whose session expired, when they asked for it', async () => {
    const carol = await f.addUser();
    const dan = await f.addUser();
    await updateSettings(f.store.db, carol.user.id, { clearOnSessionTimeout: true });
    const wsCarol = track(await createWorkspace(docker, { owner: carol.user.username }));
    const wsDan = track(await createWorkspace(docker, { owner: dan.user.username }));
    await f.service.inject(carol.caller, wsCarol.id);
    await f.service.inject(dan.caller, wsDan.id);
    const tokenCarol = await wsCarol.sh('cat ~/.config/xares/workspace-token');
    const tokenDan = await wsDan.sh('cat ~/.config/xares/workspace-token');
    for (const u of [carol, dan]) {
      await createSession(f.store.db, {
        userId: u.user.id,
        kind: 'user',
        timeoutSeconds: 1,
        now: Date.now() - 60_000,
      });
    }
    await f.service.sweepExpiredSessions();
    assert.equal(await f.sessionOf(tokenCarol), undefined);
    assert.equal(await has(wsCarol, '/home/coder/.ssh/id_ed25519'), false);
    assert.ok(await f.sessionOf(tokenDan), 'cleared a user who did not ask for it');
    assert.ok(await has(wsDan, '/home/coder/.ssh/id_ed25519'));
  });

  it('injects for the login user named by xaresaicoder.user, with its uid, gid and home', async () => {
    const erin = await f.addUser();
    const ws = track(await createWorkspace(docker, { owner: erin.user.username, user: 'root' }));
    await f.service.inject(erin.caller, ws.id);
    assert.equal(
      (
        await ws.exec(['stat', '-c', '%U:%G %a', '/root/.config/xares/workspace-token'], {
          user: 'root',
        })
      ).stdout.trim(),
      'root:root 600',
    );
    assert.equal(await has(ws, '/home/coder/.config'), false);
    const nobody = track(
      await createWorkspace(docker, { owner: erin.user.username, user: 'no-such-user' }),
    );
    await assert.rejects(
      f.service.inject(erin.caller, nobody.id),
      (e: unknown) => e instanceof AppError && e.code === 'BAD_REQUEST',
    );
    const stopped = track(
      await createWorkspace(docker, { owner: erin.user.username, start: false }),
    );
    await assert.rejects(
      f.service.inject(erin.caller, stopped.id),
      (e: unknown) => e instanceof AppError && e.code === 'CONFLICT',
    );
    const failures = await f.store.db
      .selectFrom('audit_log')
      .select('workspace_id')
      .where('user_id', '=', erin.user.id)
      .where('action', '=', 'inject')
      .where('outcome', '=', 'failure')
      .execute();
    // (auto-inject may have tried the started one too: each attempt is audited)
    assert.deepEqual(
      [...new Set(failures.map((r) => r.workspace_id))].sort(),
      [nobody.id, stopped.id].sort(),
    );
  });

  it('revokes the token of a container removed while the service was not watching', async () => {
    const gina = await f.addUser();
    // Not watching from the start, so no auto-injection replaces the token read below.
    await f.service.stop();
    const ws = track(await createWorkspace(docker, { owner: gina.user.username }));
    await f.service.inject(gina.caller, ws.id);
    const token = await ws.sh('cat ~/.config/xares/workspace-token');
    await ws.remove();
    assert.ok(await f.sessionOf(token), 'revoked although nobody was watching');
    // a new service (a restart): no event will ever tell it, it has to look
    const restarted = new WorkspaceService({
      store: f.store,
      keyring: f.store.keyring,
      docker: proxy.docker,
      config: f.config,
      logger: pino({ level: 'silent' }),
    });
    try {
      restarted.start();
      await waitFor(
        async () => (await f.sessionOf(token)) === undefined,
        10_000,
        'the token to be revoked',
      );
    } finally {
      await restarted.stop();
    }
  });
});
