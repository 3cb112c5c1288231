// doctor with CREDENTIAL_DOCKER_HOSTS (docker tier): one line per engine, saying its address:
// the local engine and a second real engine over TLS pass, an engine that is not there fails
// with a fix naming the variable; the certificate directory is never printed.
import assert from 'node:assert/strict';
import { openTestStore, type TestStore } from '../../support/databases';
import {
  acquireSecondEngine,
  releaseSecondEngine,
  type SecondEngine,
} from '../../support/secondEngine';
import { tierSuite } from '../../support/tiers';
import { closedPort, doctorEnv, runDoctorCli } from './cliRunner';

tierSuite('docker', 'doctor: several Docker hosts', function () {
  this.timeout(120_000);
  let store: TestStore;
  let second: SecondEngine;
  const first = (process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock').replace(/\/+$/, '');

  before(async () => {
    store = await openTestStore('sqlite');
    second = await acquireSecondEngine();
  });
  after(async () => {
    await store?.destroy();
    await releaseSecondEngine();
  });

  it('checks every engine, one line each, and names the one that fails', async () => {
    const dead = `tcp://127.0.0.1:${await closedPort()}`;
    const run = await runDoctorCli(
      doctorEnv({
        CREDENTIAL_DATABASE_URL: store.databaseUrl,
        CREDENTIAL_ENCRYPTION_KEY: store.masterKeyHex,
        CREDENTIAL_DOCKER_HOSTS: [first, second.tlsAddress, dead].join(','),
      }),
      ['--skip-providers'],
    );
    const docker = [...run.lines].filter(([name]) => name.startsWith('docker'));
    assert.deepEqual(
      docker.map(([name, line]) => [name, line.status]),
      [
        ['docker 1 of 3', 'ok'],
        ['docker 2 of 3', 'ok'],
        ['docker 3 of 3', 'FAIL'],
      ],
      run.stdout,
    );
    [first, second.tlsName, dead].forEach((address, i) =>
      assert.ok(docker[i]?.[1].text.includes(`at ${address}`), docker[i]?.[1].text),
    );
    assert.match(docker[2]?.[1].text ?? '', /correct its address in CREDENTIAL_DOCKER_HOSTS/);
    assert.equal(run.code, 1);
    assert.ok(!run.stdout.includes('tls='), 'the certificate directory is not printed');
  });
});
