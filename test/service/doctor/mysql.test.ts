// doctor against a real MariaDB: a migrated database with its key passes the database and key
// checks; a wrong password, a missing database and an empty one each say what to do.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { createEmptyDatabase, openTestStore, type TestStore } from '../../support/databases';
import { startFakeProviders, type FakeProviders } from '../../support/fakeProviders';
import { tierSuite } from '../../support/tiers';
import { closedPort, doctorEnv, runDoctorCli } from './cliRunner';

tierSuite('mysql', 'doctor: MySQL databases', function () {
  this.timeout(90_000);
  let store: TestStore;
  let fake: FakeProviders;
  let deadDocker: string;

  before(async function () {
    store = await openTestStore('mysql');
    fake = await startFakeProviders();
    deadDocker = `tcp://127.0.0.1:${await closedPort()}`;
  });
  after(async function () {
    await store?.destroy();
    await fake?.close();
  });

  const env = (overrides: Record<string, string> = {}) =>
    doctorEnv({
      CREDENTIAL_DATABASE_URL: store.databaseUrl,
      CREDENTIAL_ENCRYPTION_KEY: store.masterKeyHex,
      DOCKER_HOST: deadDocker,
      ...fake.env,
      ...overrides,
    });

  it('passes a migrated database with the key it was created with', async function () {
    const run = await runDoctorCli(env());
    assert.equal(run.lines.get('database')?.status, 'ok', run.stdout);
    assert.equal(run.lines.get('key')?.status, 'ok', run.stdout);
    assert.match(run.lines.get('configuration')?.text ?? '', /mysql:\/\/[^:]+:\*\*\*@/);
  });

  it('fails a wrong database password and says to correct it', async function () {
    const url = new URL(store.databaseUrl);
    url.password = `wrong${randomBytes(6).toString('hex')}`;
    const run = await runDoctorCli(env({ CREDENTIAL_DATABASE_URL: url.toString() }));
    assert.equal(run.code, 1);
    const line = run.lines.get('database');
    assert.equal(line?.status, 'FAIL', run.stdout);
    assert.match(line?.text ?? '', /Access denied/);
    assert.match(line?.text ?? '', /fix: correct the user and password/);
    assert.ok(!run.stdout.includes(url.password), 'the password must not be printed');
  });

  it('fails a database that does not exist and says how to create it', async function () {
    const url = new URL(store.databaseUrl);
    url.pathname = `/xares_missing_${randomBytes(4).toString('hex')}`;
    const run = await runDoctorCli(env({ CREDENTIAL_DATABASE_URL: url.toString() }));
    assert.equal(run.code, 1);
    const line = run.lines.get('database');
    assert.equal(line?.status, 'FAIL', run.stdout);
    assert.match(line?.text ?? '', /fix: create the database \(CREATE DATABASE/);
  });

  it('warns about an empty database that has no schema yet', async function () {
    const empty = await createEmptyDatabase('mysql', os.tmpdir());
    try {
      const run = await runDoctorCli(env({ CREDENTIAL_DATABASE_URL: empty.databaseUrl }));
      assert.equal(run.lines.get('database')?.status, 'warn', run.stdout);
      assert.match(run.lines.get('database')?.text ?? '', /no schema yet/);
      assert.equal(run.lines.get('key')?.status, 'ok', run.stdout);
      assert.match(run.lines.get('key')?.text ?? '', /no key check yet/);
    } finally {
      await empty.drop();
    }
  });
});
