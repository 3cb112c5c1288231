// The checks that need no service: TLS against real PEM files made with openssl (a good pair, a
// key of another certificate, an unreadable file, expiry, plain HTTP beyond loopback), the
// public URL workspaces are given, and the report's format and exit code.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../../service/config';
import { checkPublicUrl } from '../../../service/doctor/publicUrlCheck';
import { checkTls } from '../../../service/doctor/tlsCheck';
import { exitCodeFor, formatReport } from '../../../service/doctor';
import { tierSuite } from '../../support/tiers';

function makeCert(dir: string, name: string, days: number): { cert: string; key: string } {
  const cert = path.join(dir, `${name}.crt`);
  const key = path.join(dir, `${name}.key`);
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
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      String(days),
      '-subj',
      `/CN=${name}.test`,
    ],
    { stdio: 'pipe', timeout: 20_000 },
  );
  return { cert, key };
}

tierSuite('unit', 'doctor: TLS files, public URL and the report', function () {
  this.timeout(30_000);
  let dir: string;
  let good: { cert: string; key: string };
  let other: { cert: string; key: string };

  before(function () {
    dir = mkdtempSync(path.join(os.tmpdir(), 'xares-tls-'));
    good = makeCert(dir, 'good', 365);
    other = makeCert(dir, 'other', 365);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const config = (vars: Record<string, string>) => loadConfig({ ...vars });

  it('accepts a readable certificate with its own key', function () {
    const r = checkTls(config({ CREDENTIAL_TLS_CERT: good.cert, CREDENTIAL_TLS_KEY: good.key }));
    assert.equal(r.status, 'ok', r.message);
    assert.match(r.message, /CN=good\.test/);
  });

  it('fails a key that belongs to another certificate', function () {
    const r = checkTls(config({ CREDENTIAL_TLS_CERT: good.cert, CREDENTIAL_TLS_KEY: other.key }));
    assert.equal(r.status, 'fail');
    assert.match(r.message, /not the private key/);
    assert.ok(r.fix);
  });

  it('fails a certificate file that cannot be read', function () {
    const r = checkTls(
      config({ CREDENTIAL_TLS_CERT: path.join(dir, 'missing.crt'), CREDENTIAL_TLS_KEY: good.key }),
    );
    assert.equal(r.status, 'fail');
    assert.match(r.message, /not a readable PEM certificate/);
  });

  it('fails an expired certificate and warns about one expiring within 14 days', function () {
    const c = config({ CREDENTIAL_TLS_CERT: good.cert, CREDENTIAL_TLS_KEY: good.key });
    const year = 365 * 86_400_000;
    assert.equal(checkTls(c, Date.now() + 2 * year).status, 'fail');
    assert.equal(checkTls(c, Date.now() + year - 3 * 86_400_000).status, 'warn');
  });

  it('warns about plain HTTP beyond loopback, not on loopback', function () {
    assert.equal(checkTls(config({ CREDENTIAL_HOST: '0.0.0.0' })).status, 'warn');
    assert.equal(checkTls(config({ CREDENTIAL_HOST: '127.0.0.1' })).status, 'ok');
  });

  it('warns when workspaces would be given an address they cannot reach', function () {
    const unset = checkPublicUrl(config({ CREDENTIAL_HOST: '0.0.0.0' }));
    assert.equal(unset.status, 'warn');
    assert.match(
      unset.message,
      /workspaces are told http:\/\/127\.0\.0\.1:7300, which inside a container/,
    );
    assert.match(unset.fix ?? '', /CREDENTIAL_PUBLIC_URL/);
    assert.equal(
      checkPublicUrl(config({ CREDENTIAL_PUBLIC_URL: 'http://localhost:7300' })).status,
      'warn',
    );
    assert.equal(
      checkPublicUrl(config({ CREDENTIAL_PUBLIC_URL: 'http://credentials:7300' })).status,
      'ok',
    );
  });

  it('prints one line per check with its fix, and exits 1 only on a failure', function () {
    const results = [
      { name: 'a', status: 'ok' as const, message: 'fine', fix: 'not shown' },
      { name: 'b', status: 'warn' as const, message: 'hmm', fix: 'look' },
    ];
    const text = formatReport(results);
    assert.equal(
      text,
      'ok   a: fine\nwarn b: hmm -> fix: look\ndoctor: 1 ok, 1 warning, 0 failed\n',
    );
    assert.equal(exitCodeFor(results), 0);
    const failed = [
      ...results,
      { name: 'c', status: 'fail' as const, message: 'broken', fix: 'mend' },
    ];
    assert.match(formatReport(failed), /^FAIL c: broken -> fix: mend$/m);
    assert.equal(exitCodeFor(failed), 1);
  });
});
