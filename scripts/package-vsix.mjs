// Packs the (already built) extension into dist/xaresaicoder-credentials.vsix with vsce, the
// files chosen by .vscodeignore. package.json's `files` list is npm's (the CLI and the service),
// and vsce refuses a folder that has both a .vscodeignore and a `files` list, so vsce runs in a
// staging folder holding the extension's files and a copy of package.json without `files`.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const require = createRequire(import.meta.url);
const out = path.join(root, 'dist', 'xaresaicoder-credentials.vsix');
const stage = path.join(root, 'dist', '.vsix-stage');

// What .vscodeignore can let through; it still decides, inside the stage.
const CANDIDATES = [
  '.vscodeignore',
  'README.md',
  'LICENSE',
  'media',
  'dist/extension.js',
  'dist/webview',
];

if (!existsSync(path.join(root, 'dist', 'extension.js'))) {
  console.error('the extension is not built: run `node scripts/build.mjs` first');
  process.exit(1);
}
rmSync(stage, { recursive: true, force: true });
mkdirSync(stage, { recursive: true });
try {
  for (const entry of CANDIDATES) {
    const from = path.join(root, entry);
    if (existsSync(from)) cpSync(from, path.join(stage, entry), { recursive: true });
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
