// The master key: resolved from the configuration (or created next to an embedded SQLite
// database), never printed, and checked against the key the database was created with.
import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { inspect } from 'node:util';
import { ConfigError, type Config } from '../config';
import { parseDatabaseUrl } from '../store/dialect';
import type { Executor } from '../store/database';
import {
  insertMetaValue,
  KEY_CHECK_META_KEY,
  type KeyCheck,
  readKeyCheck,
  setMetaValue,
} from '../store/serviceMeta';
import { DecryptionError, KEY_BYTES, open, packSealed, seal, unpackSealed } from './aesGcm';

/** A bad or missing key: a configuration problem, so the CLI prints it as one line. */
export class MasterKeyError extends ConfigError {
  override name = 'MasterKeyError';
}

export class KeyMismatchError extends ConfigError {
  override name = 'KeyMismatchError';
  constructor() {
    super(
      'the encryption key does not match the one this database was created with ' +
        '(check CREDENTIAL_ENCRYPTION_KEY / CREDENTIAL_ENCRYPTION_KEY_FILE)',
    );
  }
}

const REDACTED = '[MasterKey redacted]';

/** Holds the 32 key bytes privately; its printable forms show only the key id. */
export class MasterKey {
  readonly #bytes: Buffer;
  /** Stable, public identifier: an HMAC of a fixed label under the key, not the key itself. */
  readonly id: string;

  constructor(bytes: Buffer) {
    if (bytes.length !== KEY_BYTES) throw new MasterKeyError('the master key must be 32 bytes');
    this.#bytes = Buffer.from(bytes);
    this.id = createHmac('sha256', this.#bytes)
      .update('xares-credentials master key id v1')
      .digest('hex')
      .slice(0, 32);
  }

  static fromHex(hex: string, source: string): MasterKey {
    const trimmed = hex.trim();
    if (!/^[0-9a-fA-F]{64}$/.test(trimmed)) {
      throw new MasterKeyError(
        `${source} must be 64 hexadecimal characters (32 bytes); make one with: openssl rand -hex 32`,
      );
    }
    return new MasterKey(Buffer.from(trimmed, 'hex'));
  }

  static generate(): MasterKey {
    return new MasterKey(randomBytes(KEY_BYTES));
  }

  /** Encrypts a small value under the master key; the result is iv|tag|ciphertext in base64. */
  wrap(plaintext: Buffer, aad: string): string {
    return packSealed(seal(this.#bytes, plaintext, Buffer.from(aad, 'utf8')));
  }

  /**
   * A 32-byte key for one purpose (HKDF-SHA256 of the master key), so the master key itself
   * keys nothing but the data key wraps: the backup MAC uses `backup-mac`.
   */
  deriveKey(purpose: string): Buffer {
    return Buffer.from(
      hkdfSync('sha256', this.#bytes, Buffer.alloc(0), `xares-credentials|${purpose}|v1`, 32),
    );
  }

  /** Reverses wrap(); throws DecryptionError on any mismatch. */
  unwrap(wrapped: string, aad: string): Buffer {
    return open(this.#bytes, unpackSealed(wrapped), Buffer.from(aad, 'utf8'));
  }

  /** True when this is the key `check` was made with (makeKeyCheck). */
  matchesKeyCheck(check: KeyCheck): boolean {
    return keyCheckMatches(this, check);
  }

  /** The key as hex, only for writing a newly generated key file. */
  exportHex(): string {
    return this.#bytes.toString('hex');
  }

  toString(): string {
    return `${REDACTED} id=${this.id}`;
  }
  toJSON(): string {
    return this.toString();
  }
  [inspect.custom](): string {
    return this.toString();
  }
}

export interface ResolvedMasterKey {
  key: MasterKey;
  source:
    | 'CREDENTIAL_ENCRYPTION_KEY'
    | 'CREDENTIAL_ENCRYPTION_KEY_FILE'
    | 'key file next to the database';
  /** Set when a new key file was written now: the caller tells the operator (and says to back it up). */
  createdFile: string | undefined;
  /** The key file in use, if the key came from one. */
  file: string | undefined;
}

function readKeyFile(file: string, source: string): MasterKey {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new MasterKeyError(
      `${source}: cannot read the key file ${file}${code ? ` (${code})` : ''}`,
    );
  }
  return MasterKey.fromHex(text, `the key file ${file}`);
}

/**
 * Finds the master key the configuration names. With neither variable set on the embedded SQLite
 * default it uses (or creates, mode 0600) `master.key` next to the database file; MySQL refuses.
 */
export function resolveMasterKey(config: Config): ResolvedMasterKey {
  if (config.encryptionKey !== undefined && config.encryptionKeyFile !== undefined) {
    throw new MasterKeyError(
      'set either CREDENTIAL_ENCRYPTION_KEY or CREDENTIAL_ENCRYPTION_KEY_FILE, not both',
    );
  }
  if (config.encryptionKey !== undefined) {
    return {
      key: MasterKey.fromHex(config.encryptionKey, 'CREDENTIAL_ENCRYPTION_KEY'),
      source: 'CREDENTIAL_ENCRYPTION_KEY',
      createdFile: undefined,
      file: undefined,
    };
  }
  if (config.encryptionKeyFile !== undefined) {
    const file = path.resolve(config.encryptionKeyFile);
    return {
      key: readKeyFile(file, 'CREDENTIAL_ENCRYPTION_KEY_FILE'),
      source: 'CREDENTIAL_ENCRYPTION_KEY_FILE',
      createdFile: undefined,
      file,
    };
  }
  const target = parseDatabaseUrl(config.databaseUrl);
  if (target.dialect !== 'sqlite') {
    throw new MasterKeyError(
      'with MySQL, CREDENTIAL_ENCRYPTION_KEY or CREDENTIAL_ENCRYPTION_KEY_FILE must be set ' +
        '(make a key with: openssl rand -hex 32)',
    );
  }
  const file = defaultKeyFile(target.file);
  const key = MasterKey.generate();
  try {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    // 'wx': never overwrite an existing key file (that would orphan every secret).
    writeFileSync(file, key.exportHex() + '\n', { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      return {
        key: readKeyFile(file, 'key file next to the database'),
        source: 'key file next to the database',
        createdFile: undefined,
        file,
      };
    }
    throw new MasterKeyError(`cannot create the key file ${file}: ${(err as Error).message}`);
  }
  return { key, source: 'key file next to the database', createdFile: file, file };
}

/** Where the embedded default keeps its generated key. */
export function defaultKeyFile(sqliteFile: string): string {
  return path.join(path.dirname(sqliteFile), 'master.key');
}

// --- key check -------------------------------------------------------------------------------

const KEY_CHECK_PLAINTEXT = 'xares-credentials key check v1';
const KEY_CHECK_AAD = 'xares-credentials|key-check|v1';

/** The key check as a service_meta value: the key id and a known value encrypted under the key. */
export function makeKeyCheck(key: MasterKey): KeyCheck {
  return { keyId: key.id, check: key.wrap(Buffer.from(KEY_CHECK_PLAINTEXT), KEY_CHECK_AAD) };
}

export function keyCheckMatches(key: MasterKey, stored: KeyCheck): boolean {
  try {
    return key.unwrap(stored.check, KEY_CHECK_AAD).toString('utf8') === KEY_CHECK_PLAINTEXT;
  } catch (err) {
    if (err instanceof DecryptionError) return false;
    throw err;
  }
}

/** Replaces the key check (rotate-key's last step, restore). */
export async function writeKeyCheck(db: Executor, key: MasterKey): Promise<void> {
  await setMetaValue(db, KEY_CHECK_META_KEY, JSON.stringify(makeKeyCheck(key)));
}

/**
 * On a fresh database stores the key check; otherwise proves this key is the one the database
 * was created with, throwing KeyMismatchError if not. Returns 'created' or 'verified'.
 */
export async function verifyMasterKey(
  db: Executor,
  key: MasterKey,
): Promise<'created' | 'verified'> {
  const stored = await readKeyCheck(db);
  if (!stored) {
    try {
      await insertMetaValue(db, KEY_CHECK_META_KEY, JSON.stringify(makeKeyCheck(key)));
      return 'created';
    } catch (err) {
      // Another process created it at the same moment: fall through and verify against theirs.
      const again = await readKeyCheck(db);
      if (!again) throw err;
      if (!keyCheckMatches(key, again)) throw new KeyMismatchError();
      return 'verified';
    }
  }
  if (!keyCheckMatches(key, stored)) throw new KeyMismatchError();
  return 'verified';
}
