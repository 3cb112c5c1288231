// deploy/init-secrets.sh, the first-run helper: makes a well-formed private master key and an
// .env with random passwords, prints neither, and never replaces what exists.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MasterKey } from '../../service/crypto/masterKey';
import { tierSuite } from '../support/tiers';

const ROOT = path.join(__dirname, '..', '..');

tierSuite('unit', 'deploy: init-secrets.sh', function () {
  let dir: string;
  before(function () {
    dir = mkdtempSync(path.join(os.tmpdir(), 'xares-init-'));
    mkdirSync(path.join(dir, 'deploy'));
    copyFileSync(
      path.join(ROOT, 'deploy', 'init-secrets.sh'),
      path.join(dir, 'deploy', 'init-secrets.sh'),
    );
    copyFileSync(path.join(ROOT, '.env.example'), path.join(dir, '.env.example'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const run = () =>
    execFileSync('sh', [path.join(dir, 'deploy', 'init-secrets.sh')], {
      encoding: 'utf8',
      timeout: 10_000,
    });

  it('creates a 64-hex master key (mode 0600) and an .env with random passwords, printing neither', function () {
    const output = run();
    const keyFile = path.join(dir, 'deploy', 'secrets', 'master.key');
    const key = readFileSync(keyFile, 'utf8');
    assert.doesNotThrow(() => MasterKey.fromHex(key, 'master.key'));
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    const env = readFileSync(path.join(dir, '.env'), 'utf8');
    assert.equal(statSync(path.join(dir, '.env')).mode & 0o777, 0o600);
    const passwords = [...env.matchAll(/^(\w*PASSWORD)=(.*)$/gm)];
    assert.equal(passwords.length, 3);
    for (const [, name, value] of passwords) {
      assert.match(value ?? '', /^[0-9a-f]{24,48}$/, `${name} must be random hex`);
      assert.ok(!output.includes(value ?? '?'), `${name} was printed`);
    }
    assert.ok(!output.includes(key.trim()), 'the key was printed');
  });

  it('keeps an existing key and .env on a second run', function () {
    const keyFile = path.join(dir, 'deploy', 'secrets', 'master.key');
    const key = readFileSync(keyFile, 'utf8');
    const env = readFileSync(path.join(dir, '.env'), 'utf8');
    assert.match(run(), /exists: kept/);
    assert.equal(readFileSync(keyFile, 'utf8'), key);
    assert.equal(readFileSync(path.join(dir, '.env'), 'utf8'), env);
  });
});
