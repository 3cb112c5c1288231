// A passphrase-protected key names its own work factor, so an import must neither obey a header
// that asks for years nor stop the service while an honest, costly key is decrypted. Over real
// HTTP: /healthz keeps answering while a key with 48 bcrypt rounds (3x the default) is imported, and crafted
// OpenSSH and PKCS#8 headers are refused at once with a message saying why.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestService, type TestService } from '../../support/service';
import { tierSuite } from '../../support/tiers';

const PASS = 'correct horse 7';

function keygen(dir: string, name: string, rounds: number): string {
  const file = path.join(dir, name);
  execFileSync(
    'ssh-keygen',
    ['-q', '-t', 'ed25519', '-a', String(rounds), '-N', PASS, '-C', name, '-f', file],
    { timeout: 60_000, stdio: 'ignore' },
  );
  return fs.readFileSync(file, 'utf8');
}

/** The same OpenSSH key with its bcrypt rounds field set to `rounds` (nothing else changes). */
function withRounds(keyText: string, rounds: number): string {
  const b64 = keyText.replace(/-----(BEGIN|END) OPENSSH PRIVATE KEY-----/g, '').replace(/\s+/g, '');
  const buf = Buffer.from(b64, 'base64');
  let at = 'openssh-key-v1\0'.length;
  const skipString = () => (at += 4 + buf.readUInt32BE(at));
  skipString(); // cipher
  skipString(); // kdf name
  at += 4; // kdf options length
  skipString(); // salt
  buf.writeUInt32BE(rounds, at);
  const lines = buf.toString('base64').match(/.{1,70}/g) ?? [];
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines.join('\n')}\n-----END OPENSSH PRIVATE KEY-----\n`;
}

// A minimal DER writer, to craft a PKCS#8 EncryptedPrivateKeyInfo with any iteration count.
function der(tag: number, body: Buffer): Buffer {
  const len = body.length;
  const head =
    len < 0x80
      ? Buffer.from([tag, len])
      : len < 0x100
        ? Buffer.from([tag, 0x81, len])
        : Buffer.from([tag, 0x82, len >> 8, len & 0xff]);
  return Buffer.concat([head, body]);
}
const seq = (...items: Buffer[]) => der(0x30, Buffer.concat(items));
const oid = (hex: string) => der(0x06, Buffer.from(hex, 'hex'));
const int = (hex: string) => der(0x02, Buffer.from(hex, 'hex'));
const octets = (b: Buffer) => der(0x04, b);

function pkcs8WithIterations(iterationsHex: string): string {
  const info = seq(
    seq(
      oid('2a864886f70d01050d'), // PBES2
      seq(
        seq(
          oid('2a864886f70d01050c'), // PBKDF2
          seq(
            octets(crypto.randomBytes(8)),
            int(iterationsHex),
            seq(oid('2a864886f70d0209'), der(0x05, Buffer.alloc(0))), // hmacWithSHA256
          ),
        ),
        seq(oid('60864801650304012a'), octets(crypto.randomBytes(16))), // aes256-CBC
      ),
    ),
    octets(crypto.randomBytes(64)),
  );
  const lines = info.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ENCRYPTED PRIVATE KEY-----\n${lines.join('\n')}\n-----END ENCRYPTED PRIVATE KEY-----\n`;
}

tierSuite('sqlite', 'SSH key import: work factors and the event loop', () => {
  let svc: TestService;
  let token = '';
  let dir = '';

  before(async function () {
    this.timeout(60_000);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xares-sshwork-'));
    svc = await startTestService({ dialect: 'sqlite' });
    await svc.createUser('work', 'work-password-1');
    token = await svc.login('work', 'work-password-1');
  });

  after(async function () {
    this.timeout(30_000);
    await svc?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The import over HTTP; a loaded machine may need more than the harness's 20 s for it. */
  const importKey = async (name: string, privateKey: string) => {
    const res = await fetch(`${svc.url}/trpc/sshKeys.import`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ name, privateKey, passphrase: PASS }),
      signal: AbortSignal.timeout(90_000),
    });
    return { status: res.status, text: await res.text() };
  };

  it('answers /healthz within 100 ms while a key with 48 bcrypt rounds is decrypted', async function () {
    this.timeout(120_000);
    const key = keygen(dir, 'costly', 48);
    let done = false;
    const started = Date.now();
    const imported = importKey('costly', key).finally(() => (done = true));
    const latencies: number[] = [];
    while (!done) {
      const t0 = performance.now();
      const health = await svc.request('GET', '/healthz');
      latencies.push(performance.now() - t0);
      assert.equal(health.status, 200);
      await new Promise((r) => setTimeout(r, 50));
    }
    const res = await imported;
    assert.equal(res.status, 200, res.text);
    assert.ok(Date.now() - started > 300, 'the import did real work');
    assert.ok(latencies.length >= 5, `only ${latencies.length} health checks ran`);
    // A frozen event loop shows as seconds. On a shared 2-core machine the odd check may wait
    // for a core through no fault of the service, so 90% must be under 100 ms and none slow.
    const sorted = [...latencies].sort((a, b) => a - b);
    const p90 = sorted[Math.floor(sorted.length * 0.9)] ?? Infinity;
    const worst = sorted[sorted.length - 1] ?? Infinity;
    assert.ok(p90 < 100, `90% of health checks took up to ${Math.round(p90)} ms`);
    assert.ok(worst < 500, `a health check took ${Math.round(worst)} ms`);
  });

  it('refuses an OpenSSH key whose header asks for 4294967295 bcrypt rounds, at once', async function () {
    this.timeout(60_000);
    const crafted = withRounds(keygen(dir, 'years', 16), 0xffffffff);
    const t0 = Date.now();
    const res = await importKey('years', crafted);
    assert.ok(Date.now() - t0 < 2000, `took ${Date.now() - t0} ms`);
    assert.equal(res.status, 400, res.text);
    assert.match(
      res.text,
      /bcrypt rounds \(4294967295\) exceed the maximum 128.*ssh-keygen -p -a 16/,
    );
    assert.ok(!res.text.includes(PASS));
  });

  it('refuses a PKCS#8 key whose header asks for 2^40 PBKDF2 iterations, at once', async () => {
    const t0 = Date.now();
    const res = await importKey('pbkdf2', pkcs8WithIterations('010000000000'));
    assert.ok(Date.now() - t0 < 2000, `took ${Date.now() - t0} ms`);
    assert.equal(res.status, 400, res.text);
    assert.match(res.text, /PBKDF2 iterations \(1099511627776\) exceed the maximum 1000000/);
  });
});
