// The command runs under whatever name it is linked as: npm links bin/xares-credentials.js as
// `xares-credentials` (no `.js`), and a CLI that decided by its script's file name whether to run
// exited 0 there without a word. (test/deploy/npmPack.test.ts does the same through a real
// global install; this is the quick form, on the bundle `npm ci` built.)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tierSuite } from '../support/tiers';

const ROOT = path.join(__dirname, '..', '..');

tierSuite('unit', 'deploy: the command under its link name', function () {
  let tmp: string;

  before(function () {
    this.timeout(120_000);
    if (!existsSync(path.join(ROOT, 'dist', 'service', 'cli.js'))) {
      const built = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT });
      assert.equal(built.status, 0, String(built.stderr));
    }
    tmp = mkdtempSync(path.join(os.tmpdir(), 'xares-bin-'));
  });

  after(function () {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  for (const name of ['xares-credentials', 'xcred']) {
    it(`prints its usage when linked as ${name}`, function () {
      this.timeout(30_000);
      const link = path.join(tmp, name);
      symlinkSync(path.join(ROOT, 'bin', 'xares-credentials.js'), link);
      const help = spawnSync(process.execPath, [link, '--help'], { cwd: tmp, encoding: 'utf8' });
      assert.equal(help.status, 0, help.stderr);
      assert.match(help.stdout, /^Usage: xares-credentials <command>/);
      const unknown = spawnSync(process.execPath, [link, 'no-such-command'], {
        cwd: tmp,
        encoding: 'utf8',
      });
      assert.equal(unknown.status, 2);
      assert.match(unknown.stderr, /unknown command 'no-such-command'/);
    });
  }
});
