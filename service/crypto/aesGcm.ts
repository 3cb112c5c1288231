// AES-256-GCM with a fresh random 12-byte IV per encryption and the 16-byte tag always checked;
// associated data binds a ciphertext to where it belongs. The only place ciphers are made.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export const KEY_BYTES = 32;
export const IV_BYTES = 12;
export const TAG_BYTES = 16;

export interface Sealed {
  iv: Buffer;
  tag: Buffer;
  ciphertext: Buffer;
}

/** Thrown when a ciphertext, IV, tag, key or associated data does not match. Says nothing more. */
export class DecryptionError extends Error {
  override name = 'DecryptionError';
  constructor() {
    super('decryption failed: the data was altered, moved, or encrypted with another key');
  }
}

export function seal(key: Buffer, plaintext: Buffer, aad: Buffer): Sealed {
  if (key.length !== KEY_BYTES) throw new Error('AES-256-GCM needs a 32-byte key');
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { iv, tag: cipher.getAuthTag(), ciphertext };
}

export function open(key: Buffer, sealed: Sealed, aad: Buffer): Buffer {
  if (key.length !== KEY_BYTES) throw new Error('AES-256-GCM needs a 32-byte key');
  // A short tag would weaken the check: refuse anything but the full 16 bytes and 12-byte IV.
  if (sealed.iv.length !== IV_BYTES || sealed.tag.length !== TAG_BYTES) throw new DecryptionError();
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(sealed.tag);
    return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]);
  } catch {
    throw new DecryptionError();
  }
}

/** One base64 string holding iv | tag | ciphertext, for small values such as wrapped keys. */
export function packSealed(s: Sealed): string {
  return Buffer.concat([s.iv, s.tag, s.ciphertext]).toString('base64');
}

export function unpackSealed(packed: string): Sealed {
  const bytes = Buffer.from(packed, 'base64');
  if (bytes.length < IV_BYTES + TAG_BYTES) throw new DecryptionError();
  return {
    iv: bytes.subarray(0, IV_BYTES),
    tag: bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES),
    ciphertext: bytes.subarray(IV_BYTES + TAG_BYTES),
  };
}
