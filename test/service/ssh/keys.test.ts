// SSH key generation and import checked against the real OpenSSH tools: what we produce must be
// what ssh-keygen reads, and what ssh-keygen produces must import with the same fingerprint.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AppError } from '../../../service/errors';
import { decryptPrivateKey } from '../../../service/ssh/decrypt';
import { generateSshKey, importSshKey } from '../../../service/ssh/keys';
import { tierSuite } from '../../support/tiers';

const PASS = 'correct horse 7';

function keygen(dir: string, name: string, args: string[], passphrase = ''): string {
  const file = path.join(dir, name);
  execFileSync('ssh-keygen', ['-q', ...args, '-N', passphrase, '-C', `${name}@test`, '-f', file], {
    timeout: 30_000,
    stdio: 'ignore',
  });
  return file;
}

/** `ssh-keygen -lf FILE` -> { bits, fingerprint }. */
function sshKeygenFingerprint(file: string): { bits: number; fingerprint: string } {
  const out = execFileSync('ssh-keygen', ['-lf', file], { encoding: 'utf8', timeout: 10_000 });
  const [bits, fingerprint] = out.trim().split(/\s+/);
  return { bits: Number(bits), fingerprint: fingerprint! };
}

async function assertBadRequest(
  fn: () => unknown,
  pattern: RegExp,
  secret?: string,
): Promise<void> {
  await assert.rejects(
    async () => fn(),
    (err: unknown) => {
      assert.ok(err instanceof AppError, `expected AppError, got ${String(err)}`);
      assert.equal(err.code, 'BAD_REQUEST');
      assert.match(err.message, pattern);
      if (secret) assert.ok(!err.message.includes(secret), 'message must not echo the secret');
      return true;
    },
  );
}

tierSuite('unit', 'ssh keys', () => {
  let dir: string;

  before(function () {
    this.timeout(120_000);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xares-sshkeys-'));
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  describe('generateSshKey', () => {
    it('makes an ed25519 key that ssh-keygen reads, with the same public key and fingerprint', () => {
      const key = generateSshKey('alice@xares');
      assert.equal(key.keyType, 'ed25519');
      assert.equal(key.bits, 256);
      assert.match(key.publicKey, /^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5[A-Za-z0-9+/]+=* alice@xares$/);
      assert.match(key.privateKey, /^-----BEGIN OPENSSH PRIVATE KEY-----\n/);
      const file = path.join(dir, 'generated');
      fs.writeFileSync(file, key.privateKey, { mode: 0o600 });
      // -y fails on an encrypted key without -P, so this also proves the key is unencrypted.
      const derived = execFileSync('ssh-keygen', ['-y', '-P', '', '-f', file], {
        encoding: 'utf8',
        timeout: 10_000,
      }).trim();
      assert.equal(
        derived.split(' ').slice(0, 2).join(' '),
        key.publicKey.split(' ').slice(0, 2).join(' '),
      );
      const lf = sshKeygenFingerprint(file);
      assert.equal(lf.fingerprint, key.fingerprint);
      assert.equal(lf.bits, 256);
      fs.writeFileSync(`${file}.pub`, `${key.publicKey}\n`);
      assert.equal(sshKeygenFingerprint(`${file}.pub`).fingerprint, key.fingerprint);
    });

    it('makes a different key each time', () => {
      assert.notEqual(generateSshKey('a').fingerprint, generateSshKey('a').fingerprint);
    });

    it('leaves no trailing space without a comment and refuses a comment with a line break', async () => {
      assert.equal(generateSshKey('').publicKey.split(' ').length, 2);
      await assertBadRequest(() => generateSshKey('x\nssh-rsa AAAA evil'), /control characters/);
    });
  });

  describe('importSshKey', async () => {
    const cases: Array<{
      name: string;
      args: string[];
      type: string;
      bits: number;
      pem?: boolean;
    }> = [
      { name: 'ed25519', args: ['-t', 'ed25519'], type: 'ed25519', bits: 256 },
      { name: 'ecdsa256', args: ['-t', 'ecdsa', '-b', '256'], type: 'ecdsa', bits: 256 },
      {
        name: 'ecdsa384-pem',
        args: ['-t', 'ecdsa', '-b', '384', '-m', 'PEM'],
        type: 'ecdsa',
        bits: 384,
        pem: true,
      },
      {
        name: 'ecdsa521-pkcs8',
        args: ['-t', 'ecdsa', '-b', '521', '-m', 'PKCS8'],
        type: 'ecdsa',
        bits: 521,
        pem: true,
      },
      { name: 'rsa3072', args: ['-t', 'rsa', '-b', '3072'], type: 'rsa', bits: 3072 },
      {
        name: 'rsa3072-pem',
        args: ['-t', 'rsa', '-b', '3072', '-m', 'PEM'],
        type: 'rsa',
        bits: 3072,
        pem: true,
      },
      {
        name: 'rsa4096-pkcs8',
        args: ['-t', 'rsa', '-b', '4096', '-m', 'PKCS8'],
        type: 'rsa',
        bits: 4096,
        pem: true,
      },
    ];

    for (const c of cases) {
      for (const withPass of [false, true]) {
        it(`imports ${c.name} made by ssh-keygen${withPass ? ' with a passphrase' : ''}`, async function () {
          this.timeout(60_000);
          const file = keygen(
            dir,
            `${c.name}${withPass ? '-p' : ''}`,
            c.args,
            withPass ? PASS : '',
          );
          const text = fs.readFileSync(file, 'utf8');
          const key = await importSshKey(text, withPass ? { passphrase: PASS } : {});
          const lf = sshKeygenFingerprint(`${file}.pub`);
          assert.equal(key.fingerprint, lf.fingerprint);
          assert.equal(key.keyType, c.type);
          assert.equal(key.bits, c.bits);
          const pub = fs.readFileSync(`${file}.pub`, 'utf8').trim();
          assert.equal(
            key.publicKey.split(' ').slice(0, 2).join(' '),
            pub.split(' ').slice(0, 2).join(' '),
          );
          // OpenSSH keys carry their comment; PEM keys have none.
          if (!c.pem) assert.equal(key.publicKey.split(' ')[2], `${path.basename(file)}@test`);
          // What we store is an unencrypted OpenSSH key that ssh-keygen reads back.
          const stored = path.join(dir, `${path.basename(file)}.stored`);
          fs.writeFileSync(stored, key.privateKey, { mode: 0o600 });
          assert.match(key.privateKey, /^-----BEGIN OPENSSH PRIVATE KEY-----/);
          assert.equal(sshKeygenFingerprint(stored).fingerprint, lf.fingerprint);
          if (withPass) {
            await assertBadRequest(() => importSshKey(text), /passphrase/);
            await assertBadRequest(
              () => importSshKey(text, { passphrase: 'not it' }),
              /passphrase is wrong/,
              'not it',
            );
          }
        });
      }
    }

    it('uses the given comment over the key own', async function () {
      this.timeout(30_000);
      const file = keygen(dir, 'commented', ['-t', 'ed25519']);
      const key = await importSshKey(fs.readFileSync(file, 'utf8'), { comment: 'work laptop' });
      assert.match(key.publicKey, / work laptop$/);
    });

    it('refuses RSA below 3072 bits with a clear message', async function () {
      this.timeout(30_000);
      const file = keygen(dir, 'rsa2048', ['-t', 'rsa', '-b', '2048']);
      await assertBadRequest(
        () => importSshKey(fs.readFileSync(file, 'utf8')),
        /2048 bits.*at least 3072/,
      );
      const pem = keygen(dir, 'rsa2048-pem', ['-t', 'rsa', '-b', '2048', '-m', 'PEM']);
      await assertBadRequest(() => importSshKey(fs.readFileSync(pem, 'utf8')), /at least 3072/);
    });

    it('refuses DSA keys', async function () {
      this.timeout(30_000);
      let file: string;
      try {
        file = keygen(dir, 'dsa', ['-t', 'dsa']);
      } catch {
        // Newer OpenSSH cannot make DSA keys at all; Node can, in PEM.
        const { privateKey } = crypto.generateKeyPairSync('dsa', {
          modulusLength: 2048,
          divisorLength: 256,
        });
        file = path.join(dir, 'dsa');
        fs.writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }));
      }
      await assertBadRequest(
        () => importSshKey(fs.readFileSync(file, 'utf8')),
        /DSA keys are not accepted/,
      );
    });

    it('refuses OpenSSH ciphers whose failures it cannot catch, with advice', async function () {
      this.timeout(30_000);
      const file = keygen(dir, 'gcm', ['-t', 'ed25519', '-Z', 'aes256-gcm@openssh.com'], PASS);
      await assertBadRequest(
        () => importSshKey(fs.readFileSync(file, 'utf8'), { passphrase: PASS }),
        /aes256-gcm@openssh\.com.*ssh-keygen -p/,
      );
    });

    it('refuses public keys, garbage and damaged keys without echoing them', async () => {
      const pubLine = generateSshKey('x').publicKey;
      await assertBadRequest(() => importSshKey(pubLine), /public key/, pubLine);
      await assertBadRequest(
        () => importSshKey('hello world secret-ish'),
        /not an SSH private key/,
        'secret-ish',
      );
      await assertBadRequest(() => importSshKey(''), /Paste the private key/);
      const good = generateSshKey('x').privateKey;
      const damaged = good.replace(/\n([A-Za-z0-9+/]{20})/, '\nAAAAAAAAAAAAAAAAAAAA');
      await assertBadRequest(() => importSshKey(damaged), /damaged/);
      await assertBadRequest(
        () => importSshKey('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n'),
        /could not be read|damaged/,
      );
      await assertBadRequest(() => importSshKey('x'.repeat(40_000)), /too long/);
    });

    it('reads keys with Windows line endings', async () => {
      const key = generateSshKey('crlf');
      const imported = await importSshKey(key.privateKey.replace(/\n/g, '\r\n'));
      assert.equal(imported.fingerprint, key.fingerprint);
    });
  });

  describe('work factors', () => {
    it('refuses an OpenSSH key with 129 bcrypt rounds before decrypting it', async function () {
      this.timeout(60_000);
      const over = keygen(dir, 'rounds129', ['-t', 'ed25519', '-a', '129'], PASS);
      const t0 = Date.now();
      await assertBadRequest(
        () => importSshKey(fs.readFileSync(over, 'utf8'), { passphrase: 'wrong anyway' }),
        /bcrypt rounds \(129\) exceed the maximum 128/,
        'wrong anyway',
      );
      assert.ok(Date.now() - t0 < 1000);
    });

    it('imports PKCS#8 keys at 600,000 PBKDF2 iterations and refuses 2,000,000', async function () {
      this.timeout(60_000);
      const pem = (iter: number) => {
        const file = path.join(dir, `pkcs8-${iter}.pem`);
        const plain = path.join(dir, 'pkcs8-plain.pem');
        fs.writeFileSync(
          plain,
          crypto.generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }),
        );
        execFileSync('openssl', [
          'pkcs8',
          '-topk8',
          '-v2',
          'aes-256-cbc',
          '-iter',
          String(iter),
          '-in',
          plain,
          '-out',
          file,
          '-passout',
          `pass:${PASS}`,
        ]);
        return fs.readFileSync(file, 'utf8');
      };
      const ok = await importSshKey(pem(600_000), { passphrase: PASS });
      assert.equal(ok.keyType, 'ed25519');
      await assertBadRequest(
        () => importSshKey(pem(2_000_000), { passphrase: PASS }),
        /PBKDF2 iterations \(2000000\) exceed the maximum 1000000/,
      );
    });

    it('stops a decryption that runs past its time limit', async function () {
      this.timeout(60_000);
      const file = keygen(dir, 'slow', ['-t', 'ed25519', '-a', '64'], PASS);
      await assertBadRequest(
        () => decryptPrivateKey('openssh', fs.readFileSync(file, 'utf8'), PASS, 50),
        /took longer than/,
      );
    });

    it('refuses a second PEM block rather than guess which one is read', async () => {
      const one = crypto.generateKeyPairSync('ed25519').privateKey.export({
        type: 'pkcs8',
        format: 'pem',
      });
      await assertBadRequest(() => importSshKey(`${one}${one}`), /one private key only/);
    });
  });
});
