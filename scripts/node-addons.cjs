// Preloaded (`--require`, through NODE_OPTIONS) by the test runner's second Node line, so that
// the project's node_modules, built for the machine's Node, also serve another Node major.
// Pure JavaScript loads as it is; a native addon (`*.node`, e.g. better-sqlite3's) is built
// for one Node ABI only, so its load is sent to a copy built for this Node instead:
//   <XARES_NODE_ADDONS>/<package>@<version>/node_modules/<package>/<same path inside it>
// scripts/node-addons.mjs builds those copies. The project's own node_modules is never
// touched, so the machine's Node keeps working from it alongside.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { registerHooks } = require('node:module');
const { fileURLToPath, pathToFileURL } = require('node:url');

const addonsDir = process.env.XARES_NODE_ADDONS;
// Only this checkout's dependencies: a package installed elsewhere (a test's own npm install)
// was built by that install for the Node that ran it.
const projectModules = path.join(__dirname, '..', 'node_modules') + path.sep;
const MARKER = `${path.sep}node_modules${path.sep}`;

/** The package a file inside some node_modules belongs to: its name, folder and path in it. */
function owningPackage(file) {
  const at = file.lastIndexOf(MARKER);
  if (at < 0) return undefined;
  const parts = file.slice(at + MARKER.length).split(path.sep);
  const nameParts = parts[0]?.startsWith('@') ? parts.slice(0, 2) : parts.slice(0, 1);
  const name = nameParts.join('/');
  const dir = path.join(file.slice(0, at + MARKER.length), ...nameParts);
  return { name, dir, inside: parts.slice(nameParts.length) };
}

/** True when some version of the package was rebuilt into the folder. */
function existsIn(dir, key) {
  return fs.existsSync(dir) && fs.readdirSync(dir).some((d) => d.startsWith(`${key}@`));
}

if (addonsDir && typeof registerHooks === 'function') {
  registerHooks({
    resolve(specifier, context, nextResolve) {
      const resolved = nextResolve(specifier, context);
      if (!resolved.url.startsWith('file:') || !resolved.url.endsWith('.node')) return resolved;
      const file = fileURLToPath(resolved.url);
      if (!file.startsWith(projectModules)) return resolved;
      const pkg = owningPackage(file);
      if (!pkg) return resolved;
      const key = pkg.name.replace('/', '+');
      const { version } = JSON.parse(fs.readFileSync(path.join(pkg.dir, 'package.json'), 'utf8'));
      const copy = path.join(addonsDir, `${key}@${version}`);
      if (!fs.existsSync(copy)) {
        // Packages never rebuilt for this Node (N-API addons load on any) are left alone; one
        // rebuilt for another version of itself is said plainly, not as Node's "compiled
        // against a different NODE_MODULE_VERSION".
        if (!existsIn(addonsDir, key)) return resolved;
        throw new Error(
          `no Node ${process.versions.node} build of ${pkg.name}@${version} in ${addonsDir}` +
            ' (scripts/node-addons.mjs builds it; see README, Tests)',
        );
      }
      const alternative = path.join(copy, 'node_modules', pkg.name, ...pkg.inside);
      return { ...resolved, url: pathToFileURL(alternative).href };
    },
  });
}
