// The work factor a passphrase-protected key asks for, read from the key's own header before
// anything is decrypted: OpenSSH keys name bcrypt rounds, PKCS#8 keys PBKDF2 iterations (or
// scrypt costs). A key is text anyone can write, so a header asking for years of work is refused
// here, with advice, instead of being obeyed. Only the few fields needed are read: a DER reader
// of a dozen lines rather than a dependency.
import { AppError } from '../errors';

/** ssh-keygen's default is 16 (`-a`); 100 is the most the usual hardening guides ask for. */
export const MAX_BCRYPT_ROUNDS = 128;
/** OWASP's 2023 advice for PBKDF2-HMAC-SHA256 is 600,000; a second or less of native work. */
export const MAX_PBKDF2_ITERATIONS = 1_000_000;
/** N·r·p of a PKCS#8 scrypt key: 2^17 · 8 · 1 is 128 MiB of memory, beyond any default. */
export const MAX_SCRYPT_COST = 2 ** 17 * 8;

function refuse(message: string): AppError {
  return new AppError('BAD_REQUEST', message);
}

export interface OpenSshHeader {
  cipher: string;
  kdf: string;
  rounds: number;
}

function readString(buf: Buffer, at: number, max: number): { value: Buffer; next: number } | null {
  if (at + 4 > buf.length) return null;
  const len = buf.readUInt32BE(at);
  if (len > max || at + 4 + len > buf.length) return null;
  return { value: buf.subarray(at + 4, at + 4 + len), next: at + 4 + len };
}

/** The cipher and KDF of an OpenSSH private key (`openssh-key-v1`); null if it is not one. */
export function openSshHeader(text: string): OpenSshHeader | null {
  const b64 = text.replace(/-----(BEGIN|END) OPENSSH PRIVATE KEY-----/g, '').replace(/\s+/g, '');
  const buf = Buffer.from(b64, 'base64');
  const magic = 'openssh-key-v1\0';
  if (buf.toString('latin1', 0, magic.length) !== magic) return null;
  const cipher = readString(buf, magic.length, 64);
  const kdf = cipher && readString(buf, cipher.next, 64);
  const options = kdf && readString(buf, kdf.next, 1024);
  if (!cipher || !kdf || !options) return null;
  const header = { cipher: cipher.value.toString('latin1'), kdf: kdf.value.toString('latin1') };
  if (header.kdf !== 'bcrypt') return { ...header, rounds: 0 };
  const salt = readString(options.value, 0, 1024);
  if (!salt || salt.next + 4 > options.value.length) return null;
  return { ...header, rounds: options.value.readUInt32BE(salt.next) };
}

/** Refuses an OpenSSH key whose bcrypt rounds are above the bound. */
export function checkOpenSshWorkFactor(header: OpenSshHeader): void {
  if (header.kdf !== 'bcrypt' && header.kdf !== 'none') {
    throw refuse(`Keys protected with the ${header.kdf} key derivation are not supported.`);
  }
  if (header.rounds > MAX_BCRYPT_ROUNDS) {
    throw refuse(
      `The key's bcrypt rounds (${header.rounds}) exceed the maximum ${MAX_BCRYPT_ROUNDS}: decrypting it would tie up the service. Re-encrypt it with "ssh-keygen -p -a 16 -f KEY" (or any -a up to ${MAX_BCRYPT_ROUNDS}) and import again.`,
    );
  }
}

// ---- PKCS#8 EncryptedPrivateKeyInfo (RFC 5958, PKCS#5 v2.1 RFC 8018, PKCS#12 RFC 7292) ----

interface Tlv {
  tag: number;
  body: Buffer;
  next: number;
}

/** One DER element at `at` (definite lengths only, as DER requires); null if malformed. */
function tlv(buf: Buffer, at: number): Tlv | null {
  if (at + 2 > buf.length) return null;
  const tag = buf[at] ?? 0;
  let len = buf[at + 1] ?? 0;
  let start = at + 2;
  if (len & 0x80) {
    const count = len & 0x7f;
    if (count === 0 || count > 4 || start + count > buf.length) return null;
    len = 0;
    for (let i = 0; i < count; i++) len = len * 256 + (buf[start + i] ?? 0);
    start += count;
  }
  if (start + len > buf.length) return null;
  return { tag, body: buf.subarray(start, start + len), next: start + len };
}

/** The elements of a SEQUENCE body. */
function children(body: Buffer): Tlv[] | null {
  const out: Tlv[] = [];
  for (let at = 0; at < body.length;) {
    const el = tlv(body, at);
    if (!el) return null;
    out.push(el);
    at = el.next;
  }
  return out;
}

function oid(el: Tlv | undefined): string | null {
  if (!el || el.tag !== 0x06 || el.body.length === 0) return null;
  const b = el.body;
  const parts = [Math.floor((b[0] ?? 0) / 40), (b[0] ?? 0) % 40];
  let value = 0;
  for (let i = 1; i < b.length; i++) {
    value = value * 128 + ((b[i] ?? 0) & 0x7f);
    if (!((b[i] ?? 0) & 0x80)) {
      parts.push(value);
      value = 0;
    }
  }
  return parts.join('.');
}

/** A DER INTEGER as a number; Infinity when it is larger than any bound could allow. */
function integer(el: Tlv | undefined): number | null {
  if (!el || el.tag !== 0x02 || el.body.length === 0) return null;
  if ((el.body[0] ?? 0) & 0x80) return null; // negative
  let value = 0;
  for (const byte of el.body) value = value * 256 + byte;
  return Number.isSafeInteger(value) ? value : Infinity;
}

const PBES2 = '1.2.840.113549.1.5.13';
const PBKDF2 = '1.2.840.113549.1.5.12';
const SCRYPT = '1.3.6.1.4.1.11591.4.11';

/** PKCS#5 v1.5 and PKCS#12 password-based encryption: parameters are {salt, iterations}. */
function isPbes1(id: string): boolean {
  return id.startsWith('1.2.840.113549.1.5.') || id.startsWith('1.2.840.113549.1.12.1.');
}

export type Pkcs8WorkFactor =
  { kdf: 'pbkdf2'; iterations: number } | { kdf: 'scrypt'; cost: number } | { kdf: 'unknown' };

/** The KDF parameters of a DER EncryptedPrivateKeyInfo. */
export function pkcs8WorkFactor(der: Buffer): Pkcs8WorkFactor {
  const unknown = { kdf: 'unknown' } as const;
  const info = tlv(der, 0);
  const top = info && info.tag === 0x30 ? children(info.body) : null;
  const algorithm = top?.[0]?.tag === 0x30 ? children(top[0].body) : null;
  const scheme = oid(algorithm?.[0]);
  const params = algorithm?.[1]?.tag === 0x30 ? children(algorithm[1].body) : null;
  if (!scheme || !params) return unknown;
  if (isPbes1(scheme) && scheme !== PBES2) {
    const iterations = integer(params[1]);
    return iterations === null ? unknown : { kdf: 'pbkdf2', iterations };
  }
  if (scheme !== PBES2) return unknown;
  const kdf = params[0]?.tag === 0x30 ? children(params[0].body) : null;
  const kdfId = oid(kdf?.[0]);
  const kdfParams = kdf?.[1]?.tag === 0x30 ? children(kdf[1].body) : null;
  if (!kdfParams) return unknown;
  if (kdfId === PBKDF2) {
    const iterations = integer(kdfParams[1]);
    return iterations === null ? unknown : { kdf: 'pbkdf2', iterations };
  }
  if (kdfId === SCRYPT) {
    const [n, r, p] = [integer(kdfParams[1]), integer(kdfParams[2]), integer(kdfParams[3])];
    return n === null || r === null || p === null ? unknown : { kdf: 'scrypt', cost: n * r * p };
  }
  return unknown;
}

/**
 * Refuses a PEM text whose KDF asks too much. Every block is read, whatever its label: OpenSSL
 * may find an EncryptedPrivateKeyInfo under another label too.
 */
export function checkPkcs8WorkFactor(text: string): void {
  const blocks = text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g);
  for (const block of blocks) {
    const body = (block[2] ?? '')
      .split('\n')
      .filter((line) => !line.includes(':'))
      .join('')
      .replace(/\s+/g, '');
    const factor = pkcs8WorkFactor(Buffer.from(body, 'base64'));
    if (factor.kdf === 'unknown') {
      if (block[1] !== 'ENCRYPTED PRIVATE KEY') continue;
      throw refuse(
        'The encrypted key uses a key derivation this service does not read; export it again with "openssl pkcs8 -topk8 -v2 aes-256-cbc" or as an OpenSSH key.',
      );
    }
    if (factor.kdf === 'pbkdf2' && factor.iterations > MAX_PBKDF2_ITERATIONS) {
      const shown = Number.isFinite(factor.iterations) ? String(factor.iterations) : 'over 2^53';
      throw refuse(
        `The key's PBKDF2 iterations (${shown}) exceed the maximum ${MAX_PBKDF2_ITERATIONS}: decrypting it would tie up the service. Re-encrypt it with "openssl pkcs8 -topk8 -v2 aes-256-cbc -iter 600000" and import again.`,
      );
    }
    if (factor.kdf === 'scrypt' && factor.cost > MAX_SCRYPT_COST) {
      throw refuse(
        `The key's scrypt cost (N·r·p) exceeds the maximum ${MAX_SCRYPT_COST}: decrypting it would tie up the service. Re-encrypt it with "openssl pkcs8 -topk8 -v2 aes-256-cbc" and import again.`,
      );
    }
  }
}
