// Packs the (already built) extension into dist/xaresaicoder-credentials.vsix with vsce, the
// files chosen by .vscodeignore. package.json's `files` list is npm's (the CLI and the service),
// and vsce refuses a folder that has both a .vscodeignore and a `files` list, so vsce runs in a
// staging folder holding a copy of the checkout whose package.json has no `files`.
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const require = createRequire(import.meta.url);
const out = path.join(root, 'dist', 'xaresaicoder-credentials.vsix');

// The checkout without what can never be in a .vsix (and is large): .vscodeignore alone decides
// what of the rest goes in, as it would in the checkout itself.
const SKIP = new Set(['.git', 'node_modules', 'test-artifacts', 'data']);
const skipped = (from) => {
  const rel = path.relative(root, from);
  return SKIP.has(rel) || rel.endsWith('.vsix');
};

if (!existsSync(path.join(root, 'dist', 'extension.js'))) {
  console.error('the extension is not built: run `node scripts/build.mjs` first');
  process.exit(1);
}
const stage = mkdtempSync(path.join(os.tmpdir(), 'xares-vsix-'));
try {
  for (const entry of readdirSync(root)) {
    const from = path.join(root, entry);
    if (!skipped(from)) {
      cpSync(from, path.join(stage, entry), { recursive: true, filter: (f) => !skipped(f) });
    }
  }
  const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  delete manifest.files;
  writeFileSync(path.join(stage, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');

  const vscePackage = require.resolve('@vscode/vsce/package.json');
  const vsce = path.join(path.dirname(vscePackage), 'vsce');
  const r = spawnSync(process.execPath, [vsce, 'package', '--no-dependencies', '--out', out], {
    cwd: stage,
    stdio: 'inherit',
  });
  if (r.status !== 0) process.exitCode = r.status ?? 1;
} finally {
  rmSync(stage, { recursive: true, force: true });
}
