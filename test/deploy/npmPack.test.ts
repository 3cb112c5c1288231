// The npm package as a user gets it: `npm pack` of this checkout, then `npm install -g` of the
// tarball into a fresh prefix outside the checkout (so nothing resolves from the project's own
// node_modules), then the installed `xares-credentials` command, through npm's bin link, serving
// a new SQLite database. On the second Node line of the test runner this is a Node 24 install.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tierSuite } from '../support/tiers';
import { closedPort } from '../service/doctor/cliRunner';
import { runBounded, waitForExit, waitForStatus200, withoutServiceConfig } from './processes';

const ROOT = path.join(__dirname, '..', '..');

/** What the package may ship: the command, the bundled service, and npm's own files. */
const SHIPPED = [
  'package.json',
  'README.md',
  'LICENSE',
  'bin/xares-credentials.js',
  'dist/service/cli.js',
  'dist/service/cli.js.map',
];

tierSuite('sqlite', 'deploy: npm pack, then npm install -g of the tarball', function () {
  let tmp: string;
  let prefix: string;
  let files: string[] = [];
  let child: ChildProcess | undefined;
  let output = '';
  const command = () => path.join(prefix, 'bin', 'xares-credentials');
  const env = (): NodeJS.ProcessEnv => ({
    ...withoutServiceConfig(),
    // No Docker engine: this service must not act on the machine's containers.
    DOCKER_HOST: 'unix:///nonexistent/docker.sock',
  });

  before(async function () {
    this.timeout(20 * 60_000);
    tmp = mkdtempSync(path.join(os.tmpdir(), 'xares-pack-'));
    prefix = path.join(tmp, 'prefix');
    // `prepare` bundles the service first, as it does for every `npm pack`.
    const pack = await runBounded(`npm pack --json --pack-destination ${tmp}`, ROOT, 5 * 60_000);
    assert.equal(pack.code, 0, `npm pack failed:\n${pack.output}`);
    const report = JSON.parse(pack.output.slice(pack.output.indexOf('['))) as {
      filename: string;
      files: { path: string }[];
    }[];
    files = report[0]?.files.map((f) => f.path) ?? [];
    const tarball = path.join(tmp, report[0]?.filename ?? '?');
    // The README's command. better-sqlite3 is compiled from source: its prebuilt binaries are
    // on GitHub, which this machine cannot reach (a user's install downloads one instead).
    const install = await runBounded(
      `npm install -g --prefix ${prefix} --no-audit --no-fund --allow-scripts=better-sqlite3 ${tarball}`,
      tmp,
      15 * 60_000,
      { ...process.env, npm_config_build_from_source: 'true' },
    );
    assert.equal(install.code, 0, `npm install -g failed:\n${install.output}`);
  });

  after(async function () {
    // The prefix holds a whole dependency tree, native build files included: slow to delete on
    // a busy disk.
    this.timeout(5 * 60_000);
    if (child && child.exitCode === null) {
      child.kill('SIGKILL');
      await waitForExit(child, 10_000).catch(() => undefined);
    }
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('ships the command and the bundled service, and nothing else', function () {
    for (const f of files) assert.ok(SHIPPED.includes(f), `the package ships ${f}`);
    for (const f of ['bin/xares-credentials.js', 'dist/service/cli.js', 'package.json']) {
      assert.ok(files.includes(f), `the package lacks ${f}`);
    }
  });

  it('installs production dependencies only, and no TypeScript runner', function () {
    const modules = path.join(
      prefix,
      'lib',
      'node_modules',
      'xaresaicoder-credentials',
      'node_modules',
    );
    for (const dev of ['tsx', 'esbuild', 'mocha', '@vscode/vsce', 'playwright-core', 'eslint']) {
      assert.ok(!existsSync(path.join(modules, dev)), `${dev} is a dev dependency`);
    }
    assert.ok(existsSync(path.join(modules, 'better-sqlite3', 'package.json')));
  });

  it('prints its usage for --help, through the bin link npm made', function () {
    this.timeout(30_000);
    const help = spawnSync(command(), ['--help'], { cwd: tmp, env: env(), encoding: 'utf8' });
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /^Usage: xares-credentials <command>/);
    const serveHelp = spawnSync(command(), ['serve', '--help'], {
      cwd: tmp,
      env: env(),
      encoding: 'utf8',
    });
    assert.equal(serveHelp.status, 0, serveHelp.stderr);
    assert.ok(serveHelp.stdout.trim().length > 0, 'serve --help printed nothing');
    // Without a command it says how to use it and fails, rather than exiting 0 without a word.
    const bare = spawnSync(command(), [], { cwd: tmp, env: env(), encoding: 'utf8' });
    assert.equal(bare.status, 2);
    assert.match(bare.stdout, /Usage: xares-credentials/);
  });

  it('serves a new SQLite database until /healthz answers 200, and stops on SIGTERM', async function () {
    this.timeout(120_000);
    const data = path.join(tmp, 'data');
    mkdirSync(data);
    const port = await closedPort();
    child = spawn(command(), ['serve'], {
      cwd: tmp,
      env: {
        ...env(),
        CREDENTIAL_HOST: '127.0.0.1',
        CREDENTIAL_PORT: String(port),
        CREDENTIAL_DATABASE_URL: `sqlite:${path.join(data, 'credentials.db')}`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    const status = await waitForStatus200(child, port, '/healthz', 60_000);
    assert.equal(status, 200, `/healthz never answered 200 (exit ${child.exitCode}):\n${output}`);
    assert.ok(existsSync(path.join(data, 'credentials.db')), 'the database file');
    child.kill('SIGTERM');
    assert.equal(await waitForExit(child, 20_000), 0, output);
  });
});
