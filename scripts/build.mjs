// Bundles the three programs of this package with esbuild: the service CLI (Node, dependencies
// left external), the VS Code extension host (CommonJS, `vscode` external) and the webview
// (browser). `--if-possible` (the `prepare` hook) builds only when the dev tools are installed,
// so `npm ci --omit=dev` of an already-built tree still succeeds.
import { existsSync, mkdirSync, cpSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const require = createRequire(import.meta.url);
const ifPossible = process.argv.includes('--if-possible');

let esbuild;
try {
  esbuild = require('esbuild');
} catch {
  if (ifPossible) process.exit(0);
  console.error('esbuild is not installed: run `npm install` first.');
  process.exit(1);
}

const common = { bundle: true, sourcemap: true, logLevel: 'warning', absWorkingDir: root };

await Promise.all([
  esbuild.build({
    ...common,
    entryPoints: ['service/cli.ts'],
    outfile: 'dist/service/cli.js',
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
  }),
  esbuild.build({
    ...common,
    entryPoints: ['extension/extension.ts'],
    outfile: 'dist/extension.js',
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: ['vscode'],
    minify: true,
  }),
  esbuild.build({
    ...common,
    entryPoints: ['webview/main.ts'],
    outfile: 'dist/webview/main.js',
    platform: 'browser',
    target: 'es2022',
    format: 'esm',
    minify: true,
  }),
]);

const media = path.join(root, 'webview', 'media');
if (existsSync(media)) {
  mkdirSync(path.join(root, 'dist', 'webview'), { recursive: true });
  cpSync(media, path.join(root, 'dist', 'webview'), { recursive: true });
}
