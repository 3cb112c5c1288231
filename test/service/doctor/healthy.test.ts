// A healthy installation passes doctor: a migrated database with its key, the real Docker engine,
// providers answering on loopback. And a socket proxy that blocks exec is caught.
import assert from 'node:assert/strict';
import http from 'node:http';
import { openTestStore, type TestStore } from '../../support/databases';
import { startFakeProviders, type FakeProviders } from '../../support/fakeProviders';
import { tierSuite } from '../../support/tiers';
import { doctorEnv, runDoctorCli } from './cliRunner';

/**
 * A loopback HTTP front for the local Docker socket that refuses /exec with 403, as the socket
 * proxy of docker-compose.yml does when EXEC=0. Everything else is passed to the real engine.
 */
async function startBlockingProxy(
  socketPath: string,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    if (/^(\/v[\d.]+)?\/exec\//.test(req.url ?? '')) {
      res
        .writeHead(403, { 'content-type': 'text/plain' })
        .end('Request forbidden by administrative rules.');
      return;
    }
    const upstream = http.request(
      { socketPath, path: req.url, method: req.method, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `tcp://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

tierSuite('docker', 'doctor: a healthy installation', function () {
  this.timeout(120_000);
  let store: TestStore;
  let fake: FakeProviders;
  const dockerHost = process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';

  before(async function () {
    store = await openTestStore('sqlite');
    fake = await startFakeProviders();
  });
  after(async function () {
    await store?.destroy();
    await fake?.close();
  });

  const env = (overrides: Record<string, string> = {}) =>
    doctorEnv({
      CREDENTIAL_DATABASE_URL: store.databaseUrl,
      CREDENTIAL_ENCRYPTION_KEY: store.masterKeyHex,
      DOCKER_HOST: dockerHost,
      // Only judged, never contacted: a name workspace containers could resolve.
      CREDENTIAL_PUBLIC_URL: 'http://credentials.xares.internal:7300',
      ...fake.env,
      ...overrides,
    });

  it('reports every check ok and exits 0', async function () {
    const run = await runDoctorCli(env());
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const names = [...run.lines.keys()];
    assert.deepEqual(names, [
      'configuration',
      'database',
      'key',
      'docker',
      'provider github',
      'provider gitlab',
      'provider openai',
      'provider anthropic',
      'provider google',
      'tls',
      'public url',
    ]);
    for (const [name, line] of run.lines) assert.equal(line.status, 'ok', `${name}: ${line.text}`);
    assert.match(run.lines.get('docker')?.text ?? '', /API 1\.\d+/);
    assert.match(run.stdout, /^doctor: 11 ok, 0 warnings, 0 failed$/m);
  });

  it('answers --json with the same results', async function () {
    const run = await runDoctorCli(env(), ['--json']);
    assert.equal(run.code, 0);
    const results = JSON.parse(run.stdout) as Array<{ name: string; status: string }>;
    assert.equal(results.length, 11);
    assert.ok(results.every((r) => r.status === 'ok'));
  });

  it('fails when a proxy in front of Docker refuses the exec API', async function () {
    const socketPath = dockerHost.replace(/^unix:\/\//, '');
    const proxy = await startBlockingProxy(socketPath);
    try {
      const run = await runDoctorCli(env({ DOCKER_HOST: proxy.url }));
      assert.equal(run.code, 1, run.stdout);
      const line = run.lines.get('docker');
      assert.equal(line?.status, 'FAIL', run.stdout);
      assert.match(line?.text ?? '', /refuses exec/);
      assert.match(line?.text ?? '', /fix: allow CONTAINERS=1, EXEC=1, EVENTS=1 and POST=1/);
    } finally {
      await proxy.close();
    }
  });
});
