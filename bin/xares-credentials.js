#!/usr/bin/env node
// Entry point of the `xares-credentials` command: runs the bundled service CLI. It calls the
// bundle's run() itself rather than relying on the bundle noticing it is the main script, so it
// works under any name npm links it as (a global install's bin link has no `.js`).
const path = require('node:path');
const fs = require('node:fs');

const cli = path.join(__dirname, '..', 'dist', 'service', 'cli.js');
if (!fs.existsSync(cli)) {
  console.error(
    'xares-credentials is not built yet: run `npm install` (or `npm run build`) first.',
  );
  process.exit(1);
}
void require(cli).run(process.argv.slice(2));
