// Runs the mocha suites tier by tier (unit, sqlite, mysql, docker, e2e), after checking that each
// tier's real service is there. Out of CI a tier whose service is missing is skipped with a loud
// message; with CI=true a skipped tier fails the run. Ends with a summary and `N passed, N failed`.
//
//   node scripts/test-tiers.mjs [--node24-only | --no-node24] [tier ...]   (default: every tier)
//
// Every tier runs on the Node that runs this script. When XARES_NODE24 names a Node 24 binary
// (.ci/run sets it), the NODE24_TIERS run a second time on it, with the project's native addons
// rebuilt for it outside node_modules (scripts/node-addons.mjs); the summary names the Node of
// each run. A configured Node 24 that is missing or fails to build its addons is a skipped run,
// so with CI=true it fails the run.
//
// Services: CREDENTIAL_TEST_MYSQL_URL (mysql), DOCKER_HOST or the local socket plus the image
// XARES_TEST_IMAGE (docker), code-server on PATH or XARES_CODE_SERVER and Chromium at
// XARES_CHROMIUM (e2e).
import { spawnSync, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeNode, ensureNodeAddons, envForNode } from './node-addons.mjs';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const TIERS = ['unit', 'sqlite', 'mysql', 'docker', 'e2e'];
const TIMEOUTS = { unit: 10_000, sqlite: 20_000, mysql: 30_000, docker: 180_000, e2e: 600_000 };
const NODE24_TIERS = ['unit', 'sqlite', 'mysql'];
const ci = process.env.CI === 'true' || process.env.CI === '1';

const flags = process.argv.slice(2).filter((a) => a.startsWith('-'));
for (const f of flags) {
  if (!['--node24-only', '--no-node24'].includes(f)) {
    console.error(`unknown option "${f}"; options are --node24-only and --no-node24`);
    process.exit(2);
  }
}
const asked = process.argv.slice(2).filter((a) => !a.startsWith('-'));
for (const t of asked) {
  if (!TIERS.includes(t)) {
    console.error(`unknown tier "${t}"; tiers are: ${TIERS.join(', ')}`);
    process.exit(2);
  }
}
const tiers = asked.length ? asked : TIERS;

/** One Node line to run tiers on: its binary, the label in the summary, and its environment. */
const machineNode = {
  label: `node ${process.versions.node}`,
  execPath: process.execPath,
  env: process.env,
};

function probeNode(code, node = machineNode) {
  const r = spawnSync(node.execPath, ['-e', code], {
    cwd: root,
    encoding: 'utf8',
    timeout: 20_000,
    env: node.env,
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
const probeDocker = (node) =>
  probeNode(
    `
    const Docker = require('dockerode');
    const d = new Docker();
    d.ping().then(() => d.getImage(${JSON.stringify(image)}).inspect())
      .then(() => process.exit(0))
      .catch((e) => { console.error('Docker engine or image ${image}: ' + e.message); process.exit(1); });`,
    node,
  );

const probes = {
  unit: () => null,
  sqlite: (node) =>
    probeNode(`require('better-sqlite3')(':memory:').prepare('select 1').get()`, node),
  mysql: (node) => {
    const url = process.env.CREDENTIAL_TEST_MYSQL_URL;
    if (!url) return 'CREDENTIAL_TEST_MYSQL_URL is not set';
    return probeNode(
      `
      require('mysql2/promise').createConnection(${JSON.stringify(url)})
        .then((c) => c.query('select 1').then(() => c.end()))
        .then(() => process.exit(0))
        .catch((e) => { console.error('MySQL at CREDENTIAL_TEST_MYSQL_URL: ' + e.message); process.exit(1); });`,
      node,
    );
  },
  docker: probeDocker,
  e2e: (node) => {
    const cs = process.env.XARES_CODE_SERVER || which('code-server');
    if (!cs) return 'code-server not found (PATH or XARES_CODE_SERVER)';
    const chromium = process.env.XARES_CHROMIUM || '/usr/bin/chromium';
    if (!existsSync(chromium)) return `Chromium not found at ${chromium} (XARES_CHROMIUM)`;
    return probeDocker(node);
  },
};

/**
 * The second Node line, when XARES_NODE24 configures one: checked, its addons built. Returns
 * the node, or a reason why its runs are skipped.
 */
function node24() {
  const configured = process.env.XARES_NODE24;
  if (!configured) return null;
  const info = describeNode(configured);
  if (info.error) return { missing: `XARES_NODE24: ${info.error}` };
  if (!info.version.startsWith('24.')) {
    return { missing: `XARES_NODE24 is Node ${info.version}, not 24` };
  }
  const failed = ensureNodeAddons(info);
  if (failed) return { missing: `XARES_NODE24: ${failed}` };
  return { label: `node ${info.version}`, execPath: configured, env: envForNode(info) };
}

const results = [];

function runTier(tier, node) {
  const missing = node.missing ?? probes[tier](node);
  const label = node.label ?? 'node 24';
  if (missing) {
    const banner = '!'.repeat(78);
    console.error(`\n${banner}\n!! tier ${tier} on ${label} SKIPPED: ${missing}\n${banner}\n`);
    results.push({ tier, node: label, skipped: missing, passes: 0, failures: 0, pending: 0 });
    return;
  }
  console.log(`\n==== tier ${tier} on ${label} ====`);
  const statsDir = mkdtempSync(path.join(os.tmpdir(), 'xares-tier-'));
  const statsFile = path.join(statsDir, 'stats.json');
  const r = spawnSync(
    node.execPath,
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
      env: { ...node.env, XARES_TIER: tier, XARES_TIER_STATS: statsFile },
    },
  );
  let stats = { passes: 0, failures: 0, pending: 0, tests: 0 };
  try {
    stats = JSON.parse(readFileSync(statsFile, 'utf8'));
  } catch {
    stats.failures = 1; // mocha died before reporting: count the tier as failed
    console.error(
      `tier ${tier} on ${label}: mocha exited with ${r.status ?? r.signal} before reporting`,
    );
  }
  rmSync(statsDir, { recursive: true, force: true });
  if (stats.passes + stats.failures === 0) {
    console.error(`tier ${tier} on ${label}: no test ran, which counts as a failure`);
    stats.failures = 1;
  }
  results.push({ tier, node: label, ...stats });
}

if (!flags.includes('--node24-only')) {
  for (const tier of tiers) runTier(tier, machineNode);
}
const node24Tiers = tiers.filter((t) => NODE24_TIERS.includes(t));
if (!flags.includes('--no-node24') && node24Tiers.length) {
  const second = node24();
  if (second) for (const tier of node24Tiers) runTier(tier, second);
  else if (flags.includes('--node24-only')) {
    console.error('--node24-only needs XARES_NODE24 (the path of a Node 24 binary)');
    process.exit(2);
  }
}

console.log('\n==== summary ====');
let passed = 0;
let failed = 0;
let skipped = 0;
for (const r of results) {
  if (r.skipped) {
    skipped++;
    console.log(`  ${r.tier.padEnd(7)} ${r.node.padEnd(13)} SKIPPED  ${r.skipped}`);
  } else {
    console.log(
      `  ${r.tier.padEnd(7)} ${r.node.padEnd(13)} ${r.passes} passed, ${r.failures} failed${r.pending ? `, ${r.pending} pending` : ''}`,
    );
  }
  passed += r.passes;
  failed += r.failures;
}
if (skipped && ci) console.error(`CI=true: ${skipped} skipped tier(s) fail the run`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || (skipped > 0 && ci) ? 1 : 0);
