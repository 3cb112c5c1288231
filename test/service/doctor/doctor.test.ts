// `xares-credentials doctor` as an operator runs it: a child process reading the environment.
// Each broken part (key, database, Docker, configuration, provider URL) must give a FAIL line
// naming the fix and a non-zero exit; nothing secret may appear in the output.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { openTestStore, type TestStore } from '../../support/databases';
import { startFakeProviders, type FakeProviders } from '../../support/fakeProviders';
import { tierSuite } from '../../support/tiers';
import { closedPort, doctorEnv, runDoctorCli } from './cliRunner';

tierSuite('sqlite', 'doctor: failures name their fix and exit non-zero', function () {
  this.timeout(60_000);
  let store: TestStore;
  let fake: FakeProviders;
  let dir: string;
  let deadDocker: string;

  before(async function () {
    store = await openTestStore('sqlite');
    fake = await startFakeProviders();
    dir = mkdtempSync(path.join(os.tmpdir(), 'xares-doctor-'));
    deadDocker = `tcp://127.0.0.1:${await closedPort()}`;
  });
  after(async function () {
    await store?.destroy();
    await fake?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A configuration that is healthy except for what a test overrides. */
  function env(overrides: Record<string, string> = {}): NodeJS.ProcessEnv {
    return doctorEnv({
      CREDENTIAL_DATABASE_URL: store.databaseUrl,
      CREDENTIAL_ENCRYPTION_KEY: store.masterKeyHex,
      DOCKER_HOST: deadDocker,
      ...fake.env,
      ...overrides,
    });
  }

  it('passes the database and key of a migrated store with its own key', async function () {
    const run = await runDoctorCli(env());
    assert.equal(run.lines.get('configuration')?.status, 'ok', run.stdout);
    assert.equal(run.lines.get('database')?.status, 'ok', run.stdout);
    assert.match(run.lines.get('database')?.text ?? '', /schema current/);
    assert.equal(run.lines.get('key')?.status, 'ok', run.stdout);
    assert.match(run.lines.get('key')?.text ?? '', /matches the database's key check/);
    for (const p of ['github', 'gitlab', 'openai', 'anthropic', 'google']) {
      assert.equal(run.lines.get(`provider ${p}`)?.status, 'ok', run.stdout);
    }
    assert.equal(run.lines.get('tls')?.status, 'ok', run.stdout);
    assert.ok(!run.stdout.includes(store.masterKeyHex), 'the key must never be printed');
  });

  it('fails a malformed key, says how to make one, exits 1', async function () {
    const run = await runDoctorCli(env({ CREDENTIAL_ENCRYPTION_KEY: 'abc123' }));
    assert.equal(run.code, 1, run.stdout);
    const line = run.lines.get('key');
    assert.equal(line?.status, 'FAIL', run.stdout);
    assert.match(line?.text ?? '', /64 hexadecimal characters/);
    assert.match(line?.text ?? '', /fix: .*openssl rand -hex 32/);
  });

  it('fails a well-formed key that is not the database key, exits 1', async function () {
    const wrong = randomBytes(32).toString('hex');
    const run = await runDoctorCli(env({ CREDENTIAL_ENCRYPTION_KEY: wrong }));
    assert.equal(run.code, 1, run.stdout);
    const line = run.lines.get('key');
    assert.equal(line?.status, 'FAIL', run.stdout);
    assert.match(line?.text ?? '', /not the key this database was created with/);
    assert.match(line?.text ?? '', /fix: configure the original key/);
    assert.ok(!run.stdout.includes(wrong) && !run.stderr.includes(wrong), 'no key in the output');
  });

  it('reads the key from CREDENTIAL_ENCRYPTION_KEY_FILE and warns when others can read it', async function () {
    const file = path.join(dir, 'master.key');
    writeFileSync(file, store.masterKeyHex + '\n', { mode: 0o644 });
    chmodSync(file, 0o644);
    const loose = await runDoctorCli(
      env({ CREDENTIAL_ENCRYPTION_KEY: '', CREDENTIAL_ENCRYPTION_KEY_FILE: file }),
    );
    assert.equal(loose.lines.get('key')?.status, 'warn', loose.stdout);
    assert.match(loose.lines.get('key')?.text ?? '', new RegExp(`fix: chmod 600 ${file}`));
    chmodSync(file, 0o600);
    const tight = await runDoctorCli(
      env({ CREDENTIAL_ENCRYPTION_KEY: '', CREDENTIAL_ENCRYPTION_KEY_FILE: file }),
    );
    assert.equal(tight.lines.get('key')?.status, 'ok', tight.stdout);
  });

  it('fails an unreachable MySQL database, names the fix, never prints its password', async function () {
    const password = `pw${randomBytes(8).toString('hex')}`;
    const url = `mysql://xares:${password}@127.0.0.1:${await closedPort()}/xares`;
    const run = await runDoctorCli(env({ CREDENTIAL_DATABASE_URL: url }));
    assert.equal(run.code, 1, run.stdout);
    const line = run.lines.get('database');
    assert.equal(line?.status, 'FAIL', run.stdout);
    assert.match(line?.text ?? '', /ECONNREFUSED/);
    assert.match(line?.text ?? '', /fix: start MySQL, or correct the host, port/);
    assert.equal(
      run.lines.get('key')?.status,
      'warn',
      'the key cannot be compared without a database',
    );
    assert.ok(!run.stdout.includes(password) && !run.stderr.includes(password), 'password printed');
    assert.match(run.lines.get('configuration')?.text ?? '', /mysql:\/\/xares:\*\*\*@127\.0\.0\.1/);
  });

  it('fails an unreachable Docker engine, on TCP and on a missing socket', async function () {
    for (const dockerHost of [deadDocker, `unix://${path.join(dir, 'no-such-docker.sock')}`]) {
      const run = await runDoctorCli(env({ DOCKER_HOST: dockerHost }));
      assert.equal(run.code, 1, run.stdout);
      const line = run.lines.get('docker');
      assert.equal(line?.status, 'FAIL', run.stdout);
      assert.match(line?.text ?? '', /cannot reach the Docker engine at/);
      assert.match(line?.text ?? '', /fix: start the Docker engine, or set DOCKER_HOST/);
    }
  });

  it('stops at a broken configuration with one FAIL line', async function () {
    const run = await runDoctorCli(env({ CREDENTIAL_PORT: 'seventy' }));
    assert.equal(run.code, 1);
    assert.equal(run.lines.get('configuration')?.status, 'FAIL', run.stdout);
    assert.match(run.lines.get('configuration')?.text ?? '', /CREDENTIAL_PORT/);
    assert.equal(run.lines.size, 1, run.stdout);
  });

  it('fails a provider URL that is plain http beyond loopback, without contacting it', async function () {
    const run = await runDoctorCli(env({ GITLAB_URL: 'http://gitlab.example.invalid' }));
    assert.equal(run.code, 1, run.stdout);
    const line = run.lines.get('provider gitlab');
    assert.equal(line?.status, 'FAIL', run.stdout);
    assert.match(line?.text ?? '', /fix: use an https:\/\/ URL/);
  });

  it('warns within the 5 s bound about a provider that never answers', async function () {
    // A loopback server that accepts and then says nothing.
    const silent = http.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const started = Date.now();
      const run = await runDoctorCli(env({ OPENAI_BASE_URL: `http://127.0.0.1:${port}/v1` }));
      const line = run.lines.get('provider openai');
      assert.equal(line?.status, 'warn', run.stdout);
      assert.match(line?.text ?? '', /no answer within 5 s/);
      assert.ok(Date.now() - started < 15_000, 'the probe must be bounded');
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('reports a missing embedded database without creating it or a key', async function () {
    const file = path.join(dir, 'fresh', 'credentials.db');
    const run = await runDoctorCli(
      env({ CREDENTIAL_DATABASE_URL: `sqlite:${file}`, CREDENTIAL_ENCRYPTION_KEY: '' }),
    );
    assert.equal(run.lines.get('database')?.status, 'warn', run.stdout);
    assert.equal(run.lines.get('key')?.status, 'warn', run.stdout);
    assert.match(run.lines.get('key')?.text ?? '', /the first start creates/);
    assert.ok(!existsSync(file), 'doctor must not create the database');
    assert.ok(!existsSync(path.join(dir, 'fresh', 'master.key')), 'doctor must not create a key');
  });
});
