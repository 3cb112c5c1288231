// The image's HEALTHCHECK: asks the service on loopback for a path (default /readyz) and exits 0
// on a 2xx answer, 1 otherwise. Plain Node, because the slim runtime image has no curl.
const http = require('node:http');
const https = require('node:https');

const path = process.argv[2] || '/readyz';
const port = Number(process.env.CREDENTIAL_PORT || 7300);
// With CREDENTIAL_TLS_CERT/KEY set the service speaks HTTPS itself; the certificate names the
// public host, not 127.0.0.1, so this loopback probe does not verify it.
const tls = Boolean(process.env.CREDENTIAL_TLS_CERT && process.env.CREDENTIAL_TLS_KEY);
const client = tls ? https : http;

const req = client.get(
  { host: '127.0.0.1', port, path, timeout: 4000, rejectUnauthorized: false },
  (res) => {
    res.resume();
    process.exit(res.statusCode >= 200 && res.statusCode < 300 ? 0 : 1);
  },
);
req.on('timeout', () => req.destroy(new Error('timed out')));
req.on('error', (err) => {
  console.error(`healthcheck ${path}: ${err.message}`);
  process.exit(1);
});
