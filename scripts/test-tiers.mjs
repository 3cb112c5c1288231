// Runs the mocha suites tier by tier (unit, sqlite, mysql, docker, e2e), after checking that each
// tier's real service is there. Out of CI a tier whose service is missing is skipped with a loud
// message; with CI=true a skipped tier fails the run. Ends with a summary and `N passed, N failed`.
//
//   node scripts/test-tiers.mjs [tier ...]        (default: every tier)
//
// Services: CREDENTIAL_TEST_MYSQL_URL (mysql), DOCKER_HOST or the local socket plus the image
// XARES_TEST_IMAGE (docker), code-server on PATH or XARES_CODE_SERVER and Chromium at
// XARES_CHROMIUM (e2e).
import { spawnSync, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const TIERS = ['unit', 'sqlite', 'mysql', 'docker', 'e2e'];
const TIMEOUTS = { unit: 10_000, sqlite: 20_000, mysql: 30_000, docker: 180_000, e2e: 600_000 };
const ci = process.env.CI === 'true' || process.env.CI === '1';

const asked = process.argv.slice(2).filter((a) => !a.startsWith('-'));
for (const t of asked) {
  if (!TIERS.includes(t)) {
    console.error(`unknown tier "${t}"; tiers are: ${TIERS.join(', ')}`);
    process.exit(2);
  }
}
const tiers = asked.length ? asked : TIERS;

function probeNode(code) {
  const r = spawnSync(process.execPath, ['-e', code], {
    cwd: root,
    encoding: 'utf8',
    timeout: 20_000,
  });
  return r.status === 0 ? null : (r.stderr || r.stdout || 'probe failed').trim().split('\n').pop();
}

function which(cmd) {
  try {
    return execFileSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

const image = process.env.XARES_TEST_IMAGE || 'xares-workspace-test:1';
const probeDocker = () =>
  probeNode(`
    const Docker = require('dockerode');
    const d = new Docker();
    d.ping().then(() => d.getImage(${JSON.stringify(image)}).inspect())
      .then(() => process.exit(0))
      .catch((e) => { console.error('Docker engine or image ${image}: ' + e.message); process.exit(1); });`);

const probes = {
  unit: () => null,
  sqlite: () => probeNode(`require('better-sqlite3')(':memory:').prepare('select 1').get()`),
  mysql: () => {
    const url = process.env.CREDENTIAL_TEST_MYSQL_URL;
    if (!url) return 'CREDENTIAL_TEST_MYSQL_URL is not set';
    return probeNode(`
      require('mysql2/promise').createConnection(${JSON.stringify(url)})
        .then((c) => c.query('select 1').then(() => c.end()))
        .then(() => process.exit(0))
        .catch((e) => { console.error('MySQL at CREDENTIAL_TEST_MYSQL_URL: ' + e.message); process.exit(1); });`);
  },
  docker: probeDocker,
  e2e: () => {
    const cs = process.env.XARES_CODE_SERVER || which('code-server');
    if (!cs) return 'code-server not found (PATH or XARES_CODE_SERVER)';
    const chromium = process.env.XARES_CHROMIUM || '/usr/bin/chromium';
    if (!existsSync(chromium)) return `Chromium not found at ${chromium} (XARES_CHROMIUM)`;
    return probeDocker();
  },
};

const results = [];
for (const tier of tiers) {
  const missing = probes[tier]();
  if (missing) {
    const banner = '!'.repeat(78);
    console.error(`\n${banner}\n!! tier ${tier} SKIPPED: ${missing}\n${banner}\n`);
    results.push({ tier, skipped: missing, passes: 0, failures: 0, pending: 0 });
    continue;
  }
  console.log(`\n==== tier ${tier} ====`);
  const statsDir = mkdtempSync(path.join(os.tmpdir(), 'xares-tier-'));
  const statsFile = path.join(statsDir, 'stats.json');
  const r = spawnSync(
    process.execPath,
    [
      path.join(root, 'node_modules', 'mocha', 'bin', 'mocha.js'),
      '--require',
      'tsx/cjs',
      '--recursive',
      '--extension',
      'ts',
      '--reporter',
      path.join(root, 'test', 'support', 'tier-reporter.cjs'),
      '--grep',
      `@${tier}\\b`,
      '--timeout',
      String(TIMEOUTS[tier]),
      '--exit',
      'test',
    ],
    {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, XARES_TIER: tier, XARES_TIER_STATS: statsFile },
    },
  );
  let stats = { passes: 0, failures: 0, pending: 0, tests: 0 };
  try {
    stats = JSON.parse(readFileSync(statsFile, 'utf8'));
  } catch {
    stats.failures = 1; // mocha died before reporting: count the tier as failed
    console.error(`tier ${tier}: mocha exited with ${r.status ?? r.signal} before reporting`);
  }
  rmSync(statsDir, { recursive: true, force: true });
  if (stats.passes + stats.failures === 0) {
    console.error(`tier ${tier}: no test ran, which counts as a failure`);
    stats.failures = 1;
  }
  results.push({ tier, ...stats });
}

console.log('\n==== summary ====');
let passed = 0;
let failed = 0;
let skipped = 0;
for (const r of results) {
  if (r.skipped) {
    skipped++;
    console.log(`  ${r.tier.padEnd(7)} SKIPPED  ${r.skipped}`);
  } else {
    console.log(
      `  ${r.tier.padEnd(7)} ${r.passes} passed, ${r.failures} failed${r.pending ? `, ${r.pending} pending` : ''}`,
    );
  }
  passed += r.passes;
  failed += r.failures;
}
if (skipped && ci) console.error(`CI=true: ${skipped} skipped tier(s) fail the run`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || (skipped > 0 && ci) ? 1 : 0);
