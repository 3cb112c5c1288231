#!/usr/bin/env node
// Entry point of the `xares-credentials` command: runs the bundled service CLI.
const path = require('node:path');
const fs = require('node:fs');

const cli = path.join(__dirname, '..', 'dist', 'service', 'cli.js');
if (!fs.existsSync(cli)) {
  console.error(
    'xares-credentials is not built yet: run `npm install` (or `npm run build`) first.',
  );
  process.exit(1);
}
require(cli);
