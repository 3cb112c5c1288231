// An injection or a clear that meets a workspace stopped by an engine that is restarting (docker
// tier). While an engine shuts down, its containers stop a moment before it stops answering; the
// soak (npm run soak) caught injections answered "not running, start it first" (CONFLICT, final)
// in that moment, and a 500 for an engine or database failure in the middle of one. The service
// now looks at a stopped workspace again for a few seconds before it says so
// (WorkspaceOperations.confirmStopped): the engine going away is SERVICE_UNAVAILABLE (retryable),
// a workspace running again is injected, and only one that stays stopped is CONFLICT.
import assert from 'node:assert/strict';
import { AppError } from '../../../service/errors';
import {
  createWorkspace,
  startEngineProxy,
  testDocker,
  type EngineProxy,
  type TestWorkspace,
} from '../../support/docker';
import { tierSuite } from '../../support/tiers';
import { openFixture, type Fixture } from './fixture';

const isCode = (code: string) => (e: unknown) => e instanceof AppError && e.code === code;

tierSuite('docker', 'workspaces stopped by an engine restart', function () {
  this.timeout(120_000);
  const docker = testDocker();
  let f: Fixture;
  let proxy: EngineProxy;
  const containers: TestWorkspace[] = [];
  const track = (w: TestWorkspace) => (containers.push(w), w);

  before(async () => {
    proxy = await startEngineProxy();
    f = await openFixture({}, proxy.docker);
  });
  after(async () => {
    await Promise.all(containers.map((c) => c.remove()));
    await f?.close();
    await proxy?.close();
  });

  it('answers SERVICE_UNAVAILABLE when the engine goes away after its containers stopped', async () => {
    const u = await f.addUser();
    const ws = track(await createWorkspace(docker, { owner: u.user.username }));
    await ws.container.stop({ t: 1 });
    // The engine's shutdown, as seen through the proxy: the container has stopped, and a moment
    // later the engine stops answering.
    const injecting = f.service.inject(u.caller, ws.id);
    setTimeout(() => proxy.outage(5_000), 800);
    await assert.rejects(injecting, isCode('SERVICE_UNAVAILABLE'));
    await new Promise((r) => setTimeout(r, 5_000));
  });

  it('injects a workspace that runs again within a moment (its restart policy started it)', async () => {
    const u = await f.addUser();
    const ws = track(await createWorkspace(docker, { owner: u.user.username }));
    await ws.container.stop({ t: 1 });
    const injecting = f.service.inject(u.caller, ws.id);
    setTimeout(() => void ws.container.start(), 800);
    const result = await injecting;
    assert.ok(result.files.length > 0);
    const token = await ws.exec(['cat', '/home/coder/.config/xares/workspace-token']);
    assert.equal(token.code, 0);
    assert.ok((await f.sessionOf(token.stdout.trim())) !== undefined, 'its token is live');
  });

  it('still answers CONFLICT for a workspace that stays stopped, for inject and clear', async () => {
    const u = await f.addUser();
    const ws = track(await createWorkspace(docker, { owner: u.user.username }));
    await f.service.inject(u.caller, ws.id);
    await ws.container.stop({ t: 1 });
    const started = Date.now();
    await assert.rejects(f.service.inject(u.caller, ws.id), isCode('CONFLICT'));
    await assert.rejects(f.service.clear(u.caller, ws.id), isCode('CONFLICT'));
    // Looked at again for a few seconds each, not longer.
    assert.ok(Date.now() - started < 15_000, `${Date.now() - started} ms`);
  });

  it('answers SERVICE_UNAVAILABLE, never a 500, when the injection’s command is killed midway', async () => {
    // The soak saw the engine end an injection's exec under load ("read init-p: connection
    // reset by peer", or the output ending before the script's last line). Here a root loop in
    // the container kills the script at whatever point it has reached: retryable, and nothing
    // of the failed attempt stays usable.
    const u = await f.addUser();
    const ws = track(await createWorkspace(docker, { owner: u.user.username }));
    const killer = await ws.container.exec({
      Cmd: ['sh', '-c', "while :; do pkill -KILL -f '[x]ares-exit'; sleep 0.002; done"],
      User: 'root',
    });
    await killer.start({ Detach: true });
    await assert.rejects(f.service.inject(u.caller, ws.id), (e: unknown) => {
      assert.ok(e instanceof AppError, String(e));
      assert.equal(e.code, 'SERVICE_UNAVAILABLE', e.message);
      assert.match(e.message, /try again/);
      return true;
    });
    const live = await f.store.db
      .selectFrom('sessions')
      .select('id')
      .where('user_id', '=', u.user.id)
      .where('kind', 'in', ['workspace', 'gateway'])
      .where('revoked_at', 'is', null)
      .execute();
    assert.deepEqual(live, [], 'the failed attempt left a live workspace or gateway token');
  });
});
