// The tier runner's second Node line: a Node 24 that CI configures (XARES_NODE24) but that is
// not there, or is another Node, must fail a CI run rather than quietly drop those runs. Only the
// checks before mocha starts are exercised here, so these runs take a second each.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tierSuite } from '../support/tiers';

const ROOT = path.join(__dirname, '..', '..');

function tiers(args: string[], env: NodeJS.ProcessEnv) {
  return spawnSync(process.execPath, ['scripts/test-tiers.mjs', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, ...env },
  });
}

tierSuite('unit', 'test runner: the Node 24 line', function () {
  this.timeout(60_000);

  it('fails a CI run whose configured Node 24 is missing, naming it in the summary', function () {
    const r = tiers(['--node24-only', 'unit'], { CI: 'true', XARES_NODE24: '/nonexistent/node' });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /unit\s+node 24\s+SKIPPED\s+XARES_NODE24: no Node binary/);
    assert.match(r.stdout, /^0 passed, 0 failed$/m);
  });

  it('refuses a Node of another line as Node 24', function () {
    // A stand-in binary that answers the runner's version question as Node 22 would.
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'xares-node22-'));
    try {
      const fake = path.join(tmp, 'node');
      writeFileSync(fake, `#!/bin/sh\necho '["22.12.0","127"]'\n`, { mode: 0o755 });
      const r = tiers(['--node24-only', 'unit'], { CI: 'true', XARES_NODE24: fake });
      assert.equal(r.status, 1, r.stdout + r.stderr);
      assert.match(r.stdout, /XARES_NODE24 is Node 22\.12\.0, not 24/);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('rejects an unknown option and --node24-only without a Node 24', function () {
    assert.equal(tiers(['--node=24', 'unit'], {}).status, 2);
    const r = tiers(['--node24-only', 'unit'], { XARES_NODE24: '' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--node24-only needs XARES_NODE24/);
  });
});
