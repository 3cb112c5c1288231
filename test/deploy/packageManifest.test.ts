// package.json as npm and a global install read it: the service's run-time imports are exactly
// the production dependencies (a global install has no devDependencies), every dependency with
// an install script is reviewed in allowScripts (npm's coming default runs no other), and
// `engines` admits the Node lines the tests run on.
import assert from 'node:assert/strict';
import { builtinModules } from 'node:module';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { tierSuite } from '../support/tiers';
import { readDockerfile } from './dockerfile';

const ROOT = path.join(__dirname, '..', '..');

interface Manifest {
  dependencies: Record<string, string>;
  engines: { node: string };
  allowScripts?: Record<string, unknown>;
}
const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Manifest;

/** `@scope/name/sub` and `name/sub` to the package name. */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return (specifier.startsWith('@') ? parts.slice(0, 2) : parts.slice(0, 1)).join('/');
}

/** The packages the bundled service imports at run time, as scripts/build.mjs bundles it. */
async function serviceImports(): Promise<Set<string>> {
  const result = await build({
    entryPoints: [path.join(ROOT, 'service', 'cli.ts')],
    absWorkingDir: ROOT,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    packages: 'external',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const builtins = new Set(builtinModules);
  const imports = new Set<string>();
  for (const input of Object.values(result.metafile.inputs)) {
    for (const imp of input.imports) {
      if (!imp.external || imp.path.startsWith('node:') || builtins.has(imp.path)) continue;
      imports.add(packageOf(imp.path));
    }
  }
  return imports;
}

/**
 * Whether a version is in a range of `^X.Y.Z` terms joined by `||` (the only form engines.node
 * uses: each supported major from its first good minor on).
 */
function satisfies(version: string, range: string): boolean {
  const v = version.split('.').map(Number);
  return range.split('||').some((term) => {
    const m = /^\^(\d+)\.(\d+)\.(\d+)$/.exec(term.trim());
    assert.ok(m, `engines.node term "${term.trim()}" is not of the form ^X.Y.Z`);
    const [major, minor, patch] = m.slice(1).map(Number) as [number, number, number];
    return (
      v[0] === major && ((v[1] ?? 0) > minor || ((v[1] ?? 0) === minor && (v[2] ?? 0) >= patch))
    );
  });
}

function peersOf(name: string): string[] {
  const pkg = JSON.parse(
    readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8'),
  ) as { peerDependencies?: Record<string, string> };
  return Object.keys(pkg.peerDependencies ?? {});
}

tierSuite('unit', 'deploy: package.json for npm and a global install', function () {
  it('lists every package the built service imports as a production dependency', async function () {
    this.timeout(30_000);
    const imports = await serviceImports();
    assert.ok(imports.has('kysely'), 'the import scan found nothing');
    for (const name of imports) {
      assert.ok(name in manifest.dependencies, `the service imports ${name}: a dependency`);
    }
  });

  it('keeps build-time packages out of the production dependencies', async function () {
    this.timeout(30_000);
    // Whatever the service imports, or a peer one of those needs; the extension and the webview
    // are bundled, so their packages are dev dependencies and a global install skips them.
    const imports = await serviceImports();
    const needed = new Set([...imports, ...[...imports].flatMap(peersOf)]);
    for (const name of Object.keys(manifest.dependencies)) {
      assert.ok(needed.has(name), `${name} is not used by the service: a devDependency`);
    }
  });

  it('reviews, in allowScripts, every locked package that has an install script', function () {
    const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { hasInstallScript?: boolean; name?: string }>;
    };
    const allow = manifest.allowScripts ?? {};
    for (const [key, value] of Object.entries(allow)) {
      assert.equal(typeof value, 'boolean', `allowScripts.${key} must be true or false`);
    }
    const withScripts = Object.entries(lock.packages)
      .filter(([, p]) => p.hasInstallScript)
      .map(([location, p]) => p.name ?? location.slice(location.lastIndexOf('node_modules/') + 13));
    assert.ok(withScripts.includes('better-sqlite3'), 'the lockfile scan found nothing');
    for (const name of withScripts) {
      assert.ok(name in allow, `${name} runs an install script: allow or deny it in allowScripts`);
    }
    // The native SQLite driver and the bundler cannot work without theirs.
    assert.equal(allow['better-sqlite3'], true);
    assert.equal(allow.esbuild, true);
  });

  it('admits in engines.node the Node lines that are tested and the image', function () {
    const range = manifest.engines.node;
    for (const v of ['20.19.0', '22.12.0', '24.0.0', process.versions.node]) {
      assert.ok(satisfies(v, range), `${v} is tested but outside engines.node ${range}`);
    }
    for (const v of ['18.20.0', '20.18.0', '21.7.0']) {
      assert.ok(!satisfies(v, range), `${v} is admitted by engines.node ${range}`);
    }
    const stages = readDockerfile(path.join(ROOT, 'Dockerfile'));
    for (const stage of stages) {
      const major = /^node:(\d+)/.exec(stage.base)?.[1];
      if (major) assert.ok(satisfies(`${major}.99.0`, range), `${stage.base} is outside ${range}`);
    }
  });
});
