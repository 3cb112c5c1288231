// Many Docker hosts (docker tier): one service on two real engines (CREDENTIAL_DOCKER_HOSTS),
// over HTTP, the second one reached over TCP with TLS and a client certificate. Listing merges both, inject and clear work on each, the second engine's events
// auto-inject, a destroy there revokes the token; with the second engine stopped its workspaces
// answer 503 naming it while the first one's still inject and /readyz says which is down; once
// it is back, its event stream reconnects on its own and auto-inject works again.
import assert from 'node:assert/strict';
import { loadConfig } from '../../../service/config';
import { updateSettings } from '../../../service/store/settings';
import { createDockerHosts, hostStates, type WorkspaceService } from '../../../service/workspaces';
import { createWorkspace, testDocker, waitFor, type TestWorkspace } from '../../support/docker';
import {
  acquireSecondEngine,
  releaseSecondEngine,
  type SecondEngine,
} from '../../support/secondEngine';
import { startTestService, type TestService } from '../../support/service';
import { tierSuite } from '../../support/tiers';

const FIRST = (process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock').replace(/\/+$/, '');
const TOKEN_FILE = '/home/coder/.config/xares/workspace-token';

interface Listed {
  id: string;
  name: string;
  state: string;
  injectedAt: string | null;
}

interface Ready {
  status: string;
  docker: {
    state: string;
    detail: string;
    hosts: Array<{ host: string; state: string; detail: string }>;
  };
}

tierSuite('docker', 'many Docker hosts', function () {
  this.timeout(180_000);
  const first = testDocker();
  let second: SecondEngine;
  let svc: TestService;
  let token: string;
  let userId: string;
  const containers: TestWorkspace[] = [];
  const track = (w: TestWorkspace) => (containers.push(w), w);
  const has = async (ws: TestWorkspace, p: string) =>
    (await ws.exec(['test', '-e', p], { user: 'root' })).code === 0;
  const workspaces = () => svc.service.deps.workspaces as WorkspaceService;
  const owner = 'hostuser';

  before(async () => {
    second = await acquireSecondEngine();
    svc = await startTestService({
      dialect: 'sqlite',
      env: { CREDENTIAL_DOCKER_HOSTS: `${FIRST}, ${second.tlsAddress}` },
    });
    userId = (await svc.createUser(owner, 'hostuser-password-1')).id;
    token = await svc.login(owner, 'hostuser-password-1');
    await waitFor(async () => workspaces().following, 20_000, 'both event streams');
  });
  after(async () => {
    await Promise.all(containers.map((c) => c.remove().catch(() => undefined)));
    await svc?.close();
    await releaseSecondEngine();
  });

  const list = async () => {
    const r = await svc.request('GET', '/trpc/workspaces.list', { token });
    assert.equal(r.status, 200, r.text);
    return (r.body as { result: { data: Listed[] } }).result.data;
  };
  const call = (proc: 'inject' | 'clear', workspaceId: string) =>
    svc.request('POST', `/trpc/workspaces.${proc}`, { token, body: { workspaceId } });

  it('lists, injects and clears workspaces on both engines; ids resolve across them', async () => {
    const a = track(await createWorkspace(first, { owner }));
    const b = track(await createWorkspace(second.docker, { owner }));
    const other = track(await createWorkspace(second.docker, { owner: 'someone-else' }));

    const ids = (await list()).map((w) => w.id);
    assert.ok(ids.includes(a.id) && ids.includes(b.id), `both hosts listed: ${ids.join(', ')}`);
    assert.ok(!ids.includes(other.id), "another user's container on the second host is not listed");

    for (const ws of [a, b]) {
      // By name on the second engine too: resolution is among the caller's containers on all hosts.
      const injected = await call('inject', ws === b ? ws.name : ws.id);
      assert.equal(injected.status, 200, injected.text);
      assert.ok(await has(ws, TOKEN_FILE), `token written on ${ws === b ? 'second' : 'first'}`);
    }
    const row = await svc.service.store.db
      .selectFrom('workspace_injections')
      .select('docker_host')
      .where('workspace_id', '=', b.id)
      .executeTakeFirstOrThrow();
    assert.equal(row.docker_host, second.tlsName, 'the record remembers the host');
    assert.ok((await list()).find((w) => w.id === b.id)?.injectedAt);

    const refused = await call('inject', other.id);
    assert.equal(refused.status, 404, "another user's container on the second host: not found");

    for (const ws of [a, b]) {
      const cleared = await call('clear', ws.id.slice(0, 12));
      assert.equal(cleared.status, 200, cleared.text);
      assert.equal(await has(ws, TOKEN_FILE), false);
    }
  });

  it("auto-injects from the second engine's events, and a destroy there revokes the token", async () => {
    await updateSettings(svc.service.store.db, userId, { autoInject: true });
    const b = track(await createWorkspace(second.docker, { owner }));
    await waitFor(async () => has(b, TOKEN_FILE), 15_000, 'auto-inject on the second engine');
    const wsToken = (await b.exec(['cat', TOKEN_FILE])).stdout.trim();
    assert.equal((await svc.request('GET', '/trpc/auth.me', { token: wsToken })).status, 200);
    await b.remove();
    await waitFor(
      async () => (await svc.request('GET', '/trpc/auth.me', { token: wsToken })).status === 401,
      15_000,
      'the token of the removed container to be revoked',
    );
  });

  it('with the second engine down: its workspaces answer 503 naming it, the first still serves, /readyz says which', async () => {
    await updateSettings(svc.service.store.db, userId, { autoInject: false });
    const a = track(await createWorkspace(first, { owner }));
    const b = track(await createWorkspace(second.docker, { owner }));
    assert.equal((await call('inject', b.id)).status, 200);

    await second.stop();
    await waitFor(
      async () => !workspaces().followingHost(second.tlsName),
      15_000,
      'the second stream to notice',
    );

    const down = await call('inject', b.id);
    assert.equal(down.status, 503, down.text);
    assert.ok(down.text.includes(second.tlsName), `names the host: ${down.text}`);
    assert.ok(!down.text.includes(FIRST), `names only the host that is down: ${down.text}`);
    const byName = await call('clear', b.name);
    assert.equal(byName.status, 503, 'a name not found on the hosts that answer may be there');

    const up = await call('inject', a.id);
    assert.equal(up.status, 200, up.text);
    assert.ok(await has(a, TOKEN_FILE));

    // The list keeps the first host's workspaces and shows the injected one it cannot reach.
    const listed = await list();
    assert.ok(listed.some((w) => w.id === a.id && w.state === 'running'));
    assert.equal(listed.find((w) => w.id === b.id)?.state, 'unreachable');

    const ready = await svc.request('GET', '/readyz');
    assert.equal(ready.status, 200, 'still ready: the database answers');
    const body = ready.body as Ready;
    assert.equal(body.docker.state, 'degraded');
    assert.ok(body.docker.detail.includes(second.tlsName), body.docker.detail);
    assert.deepEqual(
      body.docker.hosts.map((h) => [h.host, h.state]),
      [
        [FIRST, 'available'],
        [second.tlsName, 'unavailable'],
      ],
    );

    await second.start();
    await waitFor(
      async () => workspaces().followingHost(second.tlsName),
      20_000,
      'the second stream to reconnect on its own',
    );
    assert.equal(((await svc.request('GET', '/readyz')).body as Ready).docker.state, 'available');
    await updateSettings(svc.service.store.db, userId, { autoInject: true });
    const later = track(await createWorkspace(second.docker, { owner }));
    await waitFor(async () => has(later, TOKEN_FILE), 15_000, 'auto-inject after the restart');
  });

  it("refuses an engine whose certificate is not from the tls= directory's CA, and plain TCP to a TLS port", async () => {
    const port = new URL(second.tlsName).port;
    // One configuration each: the three share an address, which one list may not name twice.
    const hosts = [
      second.tlsAddress,
      `tcp://127.0.0.1:${port}?tls=${second.strangerCertDir}`,
      `tcp://127.0.0.1:${port}`,
    ].flatMap((a) => createDockerHosts(loadConfig({ CREDENTIAL_DOCKER_HOSTS: a })));
    assert.deepEqual(
      (await hostStates(hosts)).map((h) => h.state),
      ['available', 'unavailable', 'unavailable'],
    );
  });
});
