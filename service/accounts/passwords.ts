// Password hashing with scrypt: a self-describing string "scrypt$N$r$p$salt$hash" (base64), so
// parameters can grow later, and a timing-safe comparison.
import { randomBytes, scrypt, type ScryptOptions, timingSafeEqual } from 'node:crypto';

const PARAMS = { N: 2 ** 15, r: 8, p: 1 } as const;
const SALT_BYTES = 16;
const HASH_BYTES = 32;
// Bounds on what a stored hash may ask for, so a damaged row cannot make verify eat the machine.
const MAX_N = 2 ** 20;
const MAX_R = 32;
const MAX_P = 16;

function scryptAsync(password: string, salt: Buffer, length: number, options: ScryptOptions) {
  return new Promise<Buffer>((resolve, reject) => {
    scrypt(password, salt, length, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

function maxmem(N: number, r: number, p: number): number {
  // scrypt needs 128 * N * r bytes (plus p blocks); give it headroom above Node's 32 MiB default.
  return 128 * N * r + 128 * r * p + 16 * 1024 * 1024;
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const { N, r, p } = PARAMS;
  const hash = await scryptAsync(password, salt, HASH_BYTES, { N, r, p, maxmem: maxmem(N, r, p) });
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** True when `password` matches `stored`; false for a wrong password or an unreadable hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map((v) => Number(v));
  if (
    N === undefined ||
    r === undefined ||
    p === undefined ||
    ![N, r, p].every((v) => Number.isInteger(v) && v > 0) ||
    N > MAX_N ||
    (N & (N - 1)) !== 0 ||
    r > MAX_R ||
    p > MAX_P
  ) {
    return false;
  }
  const salt = Buffer.from(parts[4] ?? '', 'base64');
  const expected = Buffer.from(parts[5] ?? '', 'base64');
  if (salt.length === 0 || expected.length === 0) return false;
  const actual = await scryptAsync(password, salt, expected.length, {
    N,
    r,
    p,
    maxmem: maxmem(N, r, p),
  });
  return timingSafeEqual(actual, expected);
}

let dummyHash: Promise<string> | undefined;

/**
 * Spends the time of a real verification and answers false: used when the username is unknown,
 * so response times do not tell which usernames exist.
 */
export async function verifyAgainstDummy(password: string): Promise<false> {
  dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
  await verifyPassword(password, await dummyHash);
  return false;
}

/** True when a stored hash uses weaker parameters than today's, so login can re-hash it. */
export function needsRehash(stored: string): boolean {
  const parts = stored.split('$');
  return (
    parts[0] !== 'scrypt' ||
    Number(parts[1]) < PARAMS.N ||
    Number(parts[2]) < PARAMS.r ||
    Number(parts[3]) < PARAMS.p
  );
}
