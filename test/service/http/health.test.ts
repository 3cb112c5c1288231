// /healthz and /readyz: alive, ready with the database, Docker's state reported, and 503 once the
// database is gone (while /healthz still answers, and calls answer 503 rather than 500).
import assert from 'node:assert/strict';
import { startTestService } from '../../support/service';
import { tierSuite } from '../../support/tiers';

for (const dialect of ['sqlite', 'mysql'] as const) {
  tierSuite(dialect, 'health checks', () => {
    it('answers /healthz and /readyz, then 503 on /readyz with the database closed', async function () {
      this.timeout(30_000);
      const svc = await startTestService({ dialect });
      try {
        const alive = await svc.request('GET', '/healthz');
        assert.deepEqual([alive.status, alive.body], [200, { status: 'ok' }]);
        const ready = await svc.request('GET', '/readyz');
        assert.equal(ready.status, 200, ready.text);
        const body = ready.body as { database: { state: string }; docker: { state: string } };
        assert.equal(body.database.state, 'available');
        assert.ok(['available', 'unavailable'].includes(body.docker.state));

        await svc.createUser('health', 'health-password-1');
        const token = await svc.login('health', 'health-password-1');
        await svc.service.store.close();
        const down = await svc.request('GET', '/readyz');
        assert.equal(down.status, 503);
        assert.equal((down.body as { database: { state: string } }).database.state, 'unavailable');
        assert.equal((await svc.request('GET', '/healthz')).status, 200);
        // Calls that need the database answer 503 with words, not 500.
        const call = await svc.request('GET', '/trpc/tokens.list', { token });
        assert.equal(call.status, 503, call.text);
        assert.match(call.text, /database is not reachable/);
      } finally {
        await svc.close();
      }
    });
  });
}

tierSuite('sqlite', 'readiness without Docker', () => {
  it('reports Docker unavailable but stays ready, and workspace calls answer 503', async function () {
    this.timeout(30_000);
    const svc = await startTestService({
      dialect: 'sqlite',
      env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' },
    });
    try {
      const ready = await svc.request('GET', '/readyz');
      assert.equal(ready.status, 200);
      assert.equal((ready.body as { docker: { state: string } }).docker.state, 'unavailable');
      await svc.createUser('nodocker', 'nodocker-password');
      const token = await svc.login('nodocker', 'nodocker-password');
      const list = await svc.request('GET', '/trpc/workspaces.list', { token });
      assert.equal(list.status, 503, list.text);
    } finally {
      await svc.close();
    }
  });
});
