// With CREDENTIAL_TLS_CERT and CREDENTIAL_TLS_KEY the service speaks HTTPS itself.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { startTestService } from '../../support/service';
import { tierSuite } from '../../support/tiers';

function httpsGet(url: string, ca: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ca, timeout: 10_000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}

tierSuite('sqlite', 'HTTPS with CREDENTIAL_TLS_CERT/KEY', () => {
  it('answers over https with the given certificate', async function () {
    this.timeout(30_000);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'xares-tls-'));
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        key,
        '-out',
        cert,
      ],
      { stdio: 'ignore', timeout: 20_000 },
    );
    const svc = await startTestService({
      dialect: 'sqlite',
      env: { CREDENTIAL_TLS_CERT: cert, CREDENTIAL_TLS_KEY: key },
    });
    try {
      assert.match(svc.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const res = await httpsGet(`${svc.url}/healthz`, readFileSync(cert));
      assert.deepEqual([res.status, JSON.parse(res.body)], [200, { status: 'ok' }]);
      // Plain http to the same port gets no answer from the API.
      await assert.rejects(
        fetch(svc.url.replace('https:', 'http:') + '/healthz', {
          signal: AbortSignal.timeout(5000),
        }),
      );
    } finally {
      await svc.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
