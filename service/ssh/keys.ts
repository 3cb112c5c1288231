// SSH key generation and import: every key leaves here as an unencrypted OpenSSH private key
// (the service encrypts it at rest), an OpenSSH public key line and a SHA256 fingerprint that
// matches `ssh-keygen -l`. Keys weaker than the policy (RSA < 3072 bits, DSA) are refused.
// A passphrase-protected key's work factor is checked against a bound first (workFactor.ts),
// then it is decrypted in a worker thread with a time limit (decrypt.ts).
import crypto from 'node:crypto';
import sshpk from 'sshpk';
import { AppError } from '../errors';
import { decryptPrivateKey } from './decrypt';
import { checkOpenSshWorkFactor, checkPkcs8WorkFactor, openSshHeader } from './workFactor';

export type SshKeyType = 'ed25519' | 'ecdsa' | 'rsa';

export interface SshKeyMaterial {
  /** OpenSSH private key format, unencrypted: store it only encrypted. */
  privateKey: string;
  /** `ssh-ed25519 AAAA… comment` (no trailing space when the comment is empty). */
  publicKey: string;
  /** `SHA256:…`, as `ssh-keygen -lf` prints it. */
  fingerprint: string;
  keyType: SshKeyType;
  bits: number;
}

export const MIN_RSA_BITS = 3072;
/** Large enough for a 16384-bit RSA key in PEM with headers; anything longer is not a key. */
export const MAX_PRIVATE_KEY_LENGTH = 32 * 1024;
const MAX_COMMENT_LENGTH = 200;

/**
 * OpenSSH ciphers whose wrong-passphrase failure sshpk reports synchronously. With the others
 * (GCM, chacha20) sshpk can throw from a stream event, outside any try/catch, which would
 * take the whole service down; those keys are refused with advice instead.
 */
const SAFE_OPENSSH_CIPHERS = new Set([
  'none',
  'aes128-ctr',
  'aes192-ctr',
  'aes256-ctr',
  'aes128-cbc',
  'aes192-cbc',
  'aes256-cbc',
]);

function badRequest(message: string): AppError {
  return new AppError('BAD_REQUEST', message);
}

function checkComment(comment: string): string {
  if (comment.length > MAX_COMMENT_LENGTH) {
    throw badRequest(`The key comment must be at most ${MAX_COMMENT_LENGTH} characters.`);
  }
  // A comment is written into authorized_keys-style lines and files: one printable line only.
  if ([...comment].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) {
    throw badRequest('The key comment must not contain control characters or line breaks.');
  }
  return comment.trim();
}

function toMaterial(key: sshpk.PrivateKey, comment: string): SshKeyMaterial {
  const keyType = key.type;
  if (keyType === 'dsa') {
    throw badRequest('DSA keys are not accepted (OpenSSH disabled them); use an ed25519 key.');
  }
  if (keyType === 'rsa' && key.size < MIN_RSA_BITS) {
    throw badRequest(
      `This RSA key has ${key.size} bits; RSA keys need at least ${MIN_RSA_BITS} bits. Use an ed25519 key or a larger RSA key.`,
    );
  }
  if (keyType !== 'ed25519' && keyType !== 'ecdsa' && keyType !== 'rsa') {
    throw badRequest(`Keys of type ${keyType} are not supported; use ed25519, ECDSA or RSA.`);
  }
  key.comment = comment;
  const pub = key.toPublic();
  pub.comment = comment;
  const line = pub.toString('ssh').trim();
  return {
    privateKey: key.toString('ssh-private'),
    publicKey: comment ? line : line.split(' ').slice(0, 2).join(' '),
    fingerprint: pub.fingerprint('sha256').toString(),
    keyType,
    bits: keyType === 'ed25519' ? 256 : key.size,
  };
}

/** A fresh ed25519 key pair. */
export function generateSshKey(comment: string): SshKeyMaterial {
  return toMaterial(sshpk.generatePrivateKey('ed25519'), checkComment(comment));
}

/**
 * Reads a private key in OpenSSH or PEM (PKCS#1, SEC1, PKCS#8, encrypted or not) form. The
 * comment is `opts.comment`, else the key's own (OpenSSH keys carry one), else empty.
 * Every failure is a BAD_REQUEST whose message never contains the key or the passphrase.
 */
export async function importSshKey(
  privateKeyText: string,
  opts: { passphrase?: string | undefined; comment?: string | undefined } = {},
): Promise<SshKeyMaterial> {
  if (typeof privateKeyText !== 'string' || privateKeyText.trim() === '') {
    throw badRequest('Paste the private key, starting with "-----BEGIN".');
  }
  if (privateKeyText.length > MAX_PRIVATE_KEY_LENGTH) {
    throw badRequest('That private key is too long to be an SSH key.');
  }
  const text = privateKeyText.replace(/\r\n/g, '\n').trim() + '\n';
  const passphrase = opts.passphrase === '' ? undefined : opts.passphrase;
  // One key per import: with several blocks, which one a parser takes is not ours to guess.
  if ((text.match(/-----BEGIN /g) ?? []).length > 1) {
    throw badRequest('Paste one private key only (the text holds several PEM blocks).');
  }
  if (/^-----BEGIN OPENSSH PRIVATE KEY-----/m.test(text)) {
    const key = await parseOpenSsh(text, passphrase);
    const own = key.comment && key.comment !== '(unnamed)' ? key.comment : '';
    return toMaterial(key, checkComment(opts.comment ?? own));
  }
  if (/^-----BEGIN (RSA |EC |DSA |ENCRYPTED )?PRIVATE KEY-----/m.test(text)) {
    return toMaterial(await parsePem(text, passphrase), checkComment(opts.comment ?? ''));
  }
  if (/^(ssh-|ecdsa-)\S+ [A-Za-z0-9+/=]+/.test(text) || /BEGIN (SSH2 )?PUBLIC KEY/.test(text)) {
    throw badRequest('That is a public key; import needs the private key.');
  }
  if (/PuTTY-User-Key-File/.test(text)) {
    throw badRequest('PuTTY keys are not accepted; export the key in OpenSSH format first.');
  }
  throw badRequest('That is not an SSH private key in OpenSSH or PEM format.');
}

async function parseOpenSsh(
  text: string,
  passphrase: string | undefined,
): Promise<sshpk.PrivateKey> {
  const header = openSshHeader(text);
  if (header === null) throw badRequest('The OpenSSH private key is damaged or incomplete.');
  const { cipher } = header;
  if (!SAFE_OPENSSH_CIPHERS.has(cipher)) {
    throw badRequest(
      `Keys encrypted with ${cipher} are not supported; change the passphrase encryption with "ssh-keygen -p -Z aes256-ctr -f KEY" and import again.`,
    );
  }
  if (cipher === 'none') {
    // No key derivation: cheap enough for the event loop.
    try {
      return sshpk.parsePrivateKey(text, 'ssh-private');
    } catch (err) {
      throw keyParseError(err, false);
    }
  }
  if (passphrase === undefined) {
    throw badRequest('This key is protected by a passphrase; enter the passphrase to import it.');
  }
  checkOpenSshWorkFactor(header);
  const decrypted = await decryptPrivateKey('openssh', text, passphrase);
  if (!decrypted) throw keyParseError(undefined, true);
  try {
    return sshpk.parsePrivateKey(decrypted.text, 'ssh-private');
  } catch (err) {
    throw keyParseError(err, false);
  }
}

function checkPemKeyType(keyType: string | undefined): void {
  if (keyType === 'dsa') {
    throw badRequest('DSA keys are not accepted (OpenSSH disabled them); use an ed25519 key.');
  }
  if (!['rsa', 'ec', 'ed25519'].includes(keyType ?? '')) {
    throw badRequest('This kind of key is not supported; use ed25519, ECDSA or RSA.');
  }
}

async function parsePem(text: string, passphrase: string | undefined): Promise<sshpk.PrivateKey> {
  const encrypted = /ENCRYPTED PRIVATE KEY|Proc-Type:\s*4,ENCRYPTED/.test(text);
  if (encrypted && passphrase === undefined) {
    throw badRequest('This key is protected by a passphrase; enter the passphrase to import it.');
  }
  // Node's OpenSSL decrypts every PEM variant with plain thrown errors (sshpk's PEM decryption
  // can throw from a stream event instead), then sshpk reads the unencrypted PKCS#8.
  let pkcs8: string;
  if (encrypted && passphrase !== undefined) {
    checkPkcs8WorkFactor(text);
    const decrypted = await decryptPrivateKey('pem', text, passphrase);
    if (!decrypted) throw keyParseError(undefined, true);
    checkPemKeyType(decrypted.keyType);
    pkcs8 = decrypted.text;
  } else {
    try {
      const key = crypto.createPrivateKey({ key: text, format: 'pem' });
      checkPemKeyType(key.asymmetricKeyType);
      pkcs8 = key.export({ type: 'pkcs8', format: 'pem' }).toString();
    } catch (err) {
      if (err instanceof AppError) throw err;
      throw keyParseError(err, false);
    }
  }
  try {
    return sshpk.parsePrivateKey(pkcs8, 'pkcs8');
  } catch (err) {
    throw keyParseError(err, false);
  }
}

function keyParseError(err: unknown, encrypted: boolean): AppError {
  const cause = err instanceof Error ? err : undefined;
  const message = encrypted
    ? 'The passphrase is wrong, or the key is damaged: could not decrypt it.'
    : 'The private key could not be read; it is damaged, incomplete or of an unsupported kind.';
  return new AppError('BAD_REQUEST', message, { cause });
}
