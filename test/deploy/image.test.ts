// The service image recipe checked by doing what it does, without Docker (no registry is
// reachable for base images): the Dockerfile's deps stage is replayed in a clean folder
// (`npm ci --omit=dev` with the project's lockfile), its runtime stage's COPY lines assemble the
// app from that and from the built project, and its CMD and HEALTHCHECK run against MariaDB.
// The image runs Node 24: the test runner's Node 24 line (XARES_NODE24) replays it on that Node,
// native build included; the machine's Node line checks the same recipe on Node 20.
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createEmptyDatabase } from '../support/databases';
import { tierSuite } from '../support/tiers';
import { closedPort } from '../service/doctor/cliRunner';
import { copiesOf, envOf, execForm, readDockerfile, type Stage } from './dockerfile';
import { runBounded, waitForExit, waitForStatus200, withoutServiceConfig } from './processes';

const ROOT = path.join(__dirname, '..', '..');
const WORKDIR = '/app';

/** Newest modification time of the files under a folder (bounded: the source tree is small). */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile())
      newest = Math.max(newest, statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/**
 * True when dist/service/cli.js is newer than every service source: then the build stage's
 * result is already here, and rebuilding would only rewrite dist/ under other test runs' feet.
 */
function serviceBundleIsCurrent(): boolean {
  const bundle = path.join(ROOT, 'dist', 'service', 'cli.js');
  if (!existsSync(bundle)) return false;
  const sources = Math.max(
    newestMtime(path.join(ROOT, 'service')),
    statSync(path.join(ROOT, 'package.json')).mtimeMs,
  );
  return statSync(bundle).mtimeMs > sources;
}

function stageNamed(stages: Stage[], name: string | undefined): Stage {
  const stage = stages.find((s) => s.name === name);
  if (!stage) throw new Error(`the Dockerfile has no stage named ${name}`);
  return stage;
}

/** A path of a stage's filesystem (absolute, under its WORKDIR) as a path relative to WORKDIR. */
function inWorkdir(p: string): string {
  if (!p.startsWith(`${WORKDIR}/`)) throw new Error(`${p} is outside ${WORKDIR}`);
  return p.slice(WORKDIR.length + 1);
}

/**
 * Replays the deps stage: its COPY lines from the build context, then its RUN lines. The result
 * is kept per lockfile, Node version and recipe, because the native modules take minutes to
 * compile on a small machine; a fresh checkout (CI) always builds it once.
 * XARES_IMAGE_TEST_FRESH=1 forces a fresh build.
 */
async function replayDepsStage(deps: Stage): Promise<string> {
  const runs = deps.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
  const hash = createHash('sha256')
    .update(readFileSync(path.join(ROOT, 'package-lock.json')))
    .update(readFileSync(path.join(ROOT, 'package.json')))
    .update(process.version)
    .update(JSON.stringify(deps))
    .digest('hex')
    .slice(0, 16);
  // Outside the checkout: under it, Node's module lookup would climb into the project's own
  // node_modules and find dev tools the clean folder must not see.
  const cacheRoot = path.join(os.tmpdir(), 'xares-image-test-cache');
  const done = path.join(cacheRoot, hash);
  if (existsSync(done) && process.env.XARES_IMAGE_TEST_FRESH !== '1') return done;
  mkdirSync(cacheRoot, { recursive: true });
  const work = mkdtempSync(path.join(cacheRoot, 'work-'));
  try {
    for (const copy of copiesOf(deps)) {
      assert.equal(copy.from, undefined, 'the deps stage copies only from the build context');
      for (const source of copy.sources) {
        const target = copy.dest.endsWith('/')
          ? path.join(work, copy.dest, path.basename(source))
          : path.join(work, copy.dest);
        mkdirSync(path.dirname(target), { recursive: true });
        cpSync(path.join(ROOT, source), target, { recursive: true });
      }
    }
    for (const run of runs) {
      // The recipe's own command line, offline-first so the npm cache is reused.
      const result = await runBounded(run, work, 15 * 60_000);
      assert.equal(result.code, 0, `RUN ${run} failed:\n${result.output.slice(-3000)}`);
    }
    rmSync(done, { recursive: true, force: true });
    renameSync(work, done);
    // Older lockfiles' installs are of no further use (work-* folders may be other runs' own).
    for (const name of readdirSync(cacheRoot)) {
      if (/^[0-9a-f]{16}$/.test(name) && name !== hash) {
        rmSync(path.join(cacheRoot, name), { recursive: true, force: true });
      }
    }
    return done;
  } catch (err) {
    rmSync(work, { recursive: true, force: true });
    throw err;
  }
}

/** Replays the runtime stage's COPY lines into `app`. */
function assembleRuntime(stages: Stage[], runtime: Stage, depsDir: string, app: string): void {
  for (const copy of copiesOf(runtime)) {
    for (const source of copy.sources) {
      let from: string;
      if (!copy.from) from = path.join(ROOT, source);
      else if (
        stageNamed(stages, copy.from).instructions.some((i) => /npm ci\b.*--omit=dev/.test(i.args))
      ) {
        from = path.join(depsDir, inWorkdir(source));
      } else {
        // The build stage is this checkout after `npm run build`.
        from = path.join(ROOT, inWorkdir(source));
      }
      const dest = copy.dest.endsWith('/')
        ? path.join(app, copy.dest, path.basename(source))
        : path.join(app, copy.dest);
      mkdirSync(path.dirname(dest), { recursive: true });
      cpSync(from, dest, { recursive: true });
    }
  }
}

tierSuite('mysql', 'deploy: the service image recipe, replayed without Docker', function () {
  const stages = readDockerfile(path.join(ROOT, 'Dockerfile'));
  const runtime = stages[stages.length - 1] as Stage;
  let tmp: string;
  let app: string;
  let db: { databaseUrl: string; drop(): Promise<void> } | undefined;
  let env: NodeJS.ProcessEnv;
  let port: number;
  let child: ChildProcess | undefined;
  let output = '';

  before(async function () {
    this.timeout(20 * 60_000);
    // The build stage: this checkout, bundled.
    if (!serviceBundleIsCurrent()) {
      execFileSync(process.execPath, ['scripts/build.mjs'], {
        cwd: ROOT,
        timeout: 180_000,
        stdio: 'pipe',
      });
    }
    const nodeModulesCopy = copiesOf(runtime).find((c) =>
      c.sources.some((s) => s.endsWith('/node_modules')),
    );
    const depsDir = await replayDepsStage(stageNamed(stages, nodeModulesCopy?.from));
    tmp = mkdtempSync(path.join(os.tmpdir(), 'xares-image-'));
    app = path.join(tmp, 'app');
    mkdirSync(app);
    assembleRuntime(stages, runtime, depsDir, app);

    db = await createEmptyDatabase('mysql', tmp);
    port = await closedPort();
    const clean = withoutServiceConfig();
    const noProvider = `http://127.0.0.1:${await closedPort()}`;
    env = {
      ...clean,
      ...envOf(runtime),
      // Inside the container the service listens on 0.0.0.0; on this machine, loopback only.
      CREDENTIAL_HOST: '127.0.0.1',
      CREDENTIAL_PORT: String(port),
      CREDENTIAL_DATABASE_URL: db.databaseUrl,
      CREDENTIAL_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
      GITHUB_API_URL: noProvider,
      GITLAB_URL: noProvider,
      OPENAI_BASE_URL: `${noProvider}/v1`,
      ANTHROPIC_BASE_URL: noProvider,
      GOOGLE_AI_BASE_URL: noProvider,
    };
  });

  after(async function () {
    this.timeout(60_000);
    if (child && child.exitCode === null) {
      child.kill('SIGKILL');
      await waitForExit(child, 10_000).catch(() => undefined);
    }
    await db?.drop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('installs production dependencies only', function () {
    // (typescript is not in this list: @trpc/server and @trpc/client name it as a peer.)
    for (const dev of [
      'esbuild',
      'mocha',
      'tsx',
      'eslint',
      'prettier',
      'playwright-core',
      '@vscode/vsce',
    ]) {
      assert.ok(!existsSync(path.join(app, 'node_modules', dev)), `${dev} is a dev dependency`);
    }
    for (const dep of ['better-sqlite3', 'mysql2', 'kysely', 'koa', 'dockerode']) {
      assert.ok(existsSync(path.join(app, 'node_modules', dep, 'package.json')), `${dep} missing`);
    }
    assert.ok(existsSync(path.join(app, 'bin', 'xares-credentials.js')));
    assert.ok(existsSync(path.join(app, 'dist', 'service', 'cli.js')));
  });

  it('runs its CMD against a fresh MariaDB database until /readyz answers 200', async function () {
    this.timeout(120_000);
    // No migrate step: serve brings the schema up to date at start, as in the container.
    const [cmd, ...args] = execForm(
      runtime.instructions.find((i) => i.keyword === 'CMD')?.args ?? '',
    );
    assert.equal(cmd, 'node');
    child = spawn(process.execPath, args, { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    const status = await waitForStatus200(child, port, '/readyz', 60_000);
    assert.equal(status, 200, `/readyz never answered 200 (exit ${child.exitCode}):\n${output}`);
    assert.ok(!output.includes(env.CREDENTIAL_ENCRYPTION_KEY ?? '?'), 'the key was printed');
  });

  it('passes its own HEALTHCHECK command', function () {
    this.timeout(30_000);
    assert.ok(child && child.exitCode === null, 'the service must be running');
    const health = runtime.instructions.find((i) => i.keyword === 'HEALTHCHECK');
    const [cmd, ...args] = execForm(health?.args ?? '');
    assert.equal(cmd, 'node');
    const ok = spawnSync(process.execPath, args, { cwd: app, env, timeout: 15_000 });
    assert.equal(ok.status, 0, `healthcheck failed: ${ok.stderr}`);
    // And it can fail: against a port nothing listens on, the same probe exits 1.
    const down = spawnSync(process.execPath, args, {
      cwd: app,
      env: { ...env, CREDENTIAL_PORT: '1' },
      timeout: 15_000,
    });
    assert.equal(down.status, 1);
  });

  it('stops cleanly on SIGTERM', async function () {
    this.timeout(30_000);
    assert.ok(child && child.exitCode === null, 'the service must be running');
    child.kill('SIGTERM');
    const exit = await waitForExit(child, 20_000);
    assert.equal(exit, 0, `exit ${exit} after SIGTERM:\n${output}`);
  });
});
