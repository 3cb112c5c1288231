// Envelope encryption of credential secrets: each user has random 32-byte data keys (versioned,
// wrapped by the master key in data_keys); a secret is AES-256-GCM under its owner's data key,
// bound by associated data to its row id and owner, so a ciphertext moved elsewhere fails, and
// (AAD version 2) to what decides where the secret goes: type, provider, name, url and env_var.
// A row whose metadata was changed in the database no longer decrypts, so its secret goes
// nowhere. Rows sealed before version 2 (AAD version 1) still open and are re-sealed under
// version 2 by the service (at start and on first use): see SECRET_AAD_VERSION.
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { AppError } from '../errors';
import * as dataKeys from '../store/dataKeys';
import type { Executor, Store } from '../store/database';
import { type DialectName, isUniqueViolation } from '../store/dialect';
import type { Database } from '../store/schema';
import type {
  EncryptedSecret,
  SecretBinding,
  SecretOwner,
  SecretRow,
  SecretSealer,
} from '../store/secretSealer';
import { KEY_CHECK_META_KEY, lockMetaValues, ROTATION_META_KEY } from '../store/serviceMeta';
import { DecryptionError, KEY_BYTES, open, seal } from './aesGcm';
import type { MasterKey } from './masterKey';

/**
 * The associated data secrets are sealed with now. 1 bound owner, row id and data key version;
 * 2 adds the binding below. A row's version is in its own column: moving it back to 1 does not
 * help an attacker, since a ciphertext sealed under 2 does not open under 1's associated data.
 */
export const SECRET_AAD_VERSION = 2;

/** Answered when a secret does not open: altered, moved, or its row's details were changed. */
export const SECRET_MISMATCH_MESSAGE =
  'the stored secret does not match its record (its type, provider, name, URL or variable were ' +
  'changed outside this service, or it was altered): it is not used; save it again';

export { KEY_CHECK_META_KEY, ROTATION_META_KEY };
export type { EncryptedSecret, SecretBinding, SecretOwner, SecretRow };

export const ROTATED_MESSAGE = 'the master key was rotated; restart with the new key';

export function dataKeyAad(userId: string, version: number): string {
  return `xares-credentials|data-key|v1|${userId}|${version}`;
}

function secretAad(row: SecretOwner, dataKeyVersion: number, aadVersion: number): Buffer {
  if (aadVersion === 1) {
    return Buffer.from(
      `xares-credentials|secret|v1|${row.user_id}|${row.id}|${dataKeyVersion}`,
      'utf8',
    );
  }
  if (aadVersion !== 2) throw new DecryptionError();
  // JSON keeps the fields apart whatever they contain (a '|' in a URL cannot shift them).
  const bound = [
    row.user_id,
    row.id,
    dataKeyVersion,
    row.type,
    row.provider,
    row.name,
    row.url,
    row.env_var,
  ];
  return Buffer.from(`xares-credentials|secret|v2|${JSON.stringify(bound)}`, 'utf8');
}

interface CachedKey {
  key: Buffer;
  expiresAt: number;
}

export interface KeyRingOptions {
  /** How long an unwrapped data key stays in memory (default 60 s). */
  cacheTtlMs?: number;
  /** Bound on cached keys (default 1000); the oldest is dropped first. */
  maxCachedKeys?: number;
}

export class KeyRing implements SecretSealer {
  private readonly cache = new Map<string, CachedKey>();
  private readonly latestVersion = new Map<string, { version: number; expiresAt: number }>();
  private readonly ttlMs: number;
  private readonly maxCached: number;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: DialectName,
    private readonly masterKey: MasterKey,
    options: KeyRingOptions = {},
  ) {
    this.ttlMs = options.cacheTtlMs ?? 60_000;
    this.maxCached = options.maxCachedKeys ?? 1000;
  }

  static forStore(store: Store, masterKey: MasterKey, options?: KeyRingOptions): KeyRing {
    return new KeyRing(store.db, store.dialect, masterKey, options);
  }

  get masterKeyId(): string {
    return this.masterKey.id;
  }

  /**
   * Encrypts a secret for the credential row `owner` (its id, owner and binding as they will be
   * stored). Pass the transaction as `executor` when inside one: on SQLite a second connection
   * would wait for the transaction's lock.
   */
  async encryptSecret(
    owner: SecretOwner,
    plaintext: string,
    executor: Executor = this.db,
    /** Only tests pass 1, to make the rows an older release wrote. */
    aadVersion: number = SECRET_AAD_VERSION,
  ): Promise<EncryptedSecret> {
    const { version, key } = await this.currentDataKey(owner.user_id, executor);
    const aad = secretAad(owner, version, aadVersion);
    const sealed = seal(key, Buffer.from(plaintext, 'utf8'), aad);
    return {
      secret_ciphertext: sealed.ciphertext.toString('base64'),
      secret_iv: sealed.iv.toString('base64'),
      secret_tag: sealed.tag.toString('base64'),
      data_key_version: version,
      secret_aad_version: aadVersion,
    };
  }

  /**
   * Decrypts a credential row's secret; AppError CONFLICT if it was altered, moved or its
   * binding changed, SERVICE_UNAVAILABLE / INTERNAL_SERVER_ERROR if the key is not there.
   */
  async decryptSecret(row: SecretRow, executor: Executor = this.db): Promise<string> {
    const key = await this.dataKey(row.user_id, row.data_key_version, executor);
    try {
      const plain = open(
        key,
        {
          iv: Buffer.from(row.secret_iv, 'base64'),
          tag: Buffer.from(row.secret_tag, 'base64'),
          ciphertext: Buffer.from(row.secret_ciphertext, 'base64'),
        },
        secretAad(row, row.data_key_version, Number(row.secret_aad_version)),
      );
      return plain.toString('utf8');
    } catch (err) {
      if (err instanceof DecryptionError) {
        throw new AppError('CONFLICT', SECRET_MISMATCH_MESSAGE, { cause: err });
      }
      throw err;
    }
  }

  /**
   * The row's secret sealed again for `binding` (its new type, provider, name, url, env_var),
   * or under the current associated data version: the plaintext never leaves the key ring.
   */
  async rebindSecret(
    row: SecretRow,
    binding: SecretBinding,
    executor: Executor = this.db,
  ): Promise<EncryptedSecret> {
    const plain = await this.decryptSecret(row, executor);
    return this.encryptSecret({ id: row.id, user_id: row.user_id, ...binding }, plain, executor);
  }

  /** Forgets every unwrapped key (tests, and after a user's keys are deleted). */
  clearCache(): void {
    // Not zero-filled: an operation awaiting between lookup and use may still hold the buffer.
    this.cache.clear();
    this.latestVersion.clear();
  }

  private async currentDataKey(
    userId: string,
    executor: Executor,
  ): Promise<{ version: number; key: Buffer }> {
    const now = Date.now();
    const known = this.latestVersion.get(userId);
    if (known && known.expiresAt > now) {
      return { version: known.version, key: await this.dataKey(userId, known.version, executor) };
    }
    const latest = await dataKeys.findLatestVersion(executor, userId);
    const current =
      latest !== undefined
        ? { version: latest, key: await this.dataKey(userId, latest, executor) }
        : await this.createDataKey(userId, executor);
    // Inside a caller's transaction the row may still be rolled back: remember nothing then.
    if (!executor.isTransaction) {
      this.latestVersion.set(userId, { version: current.version, expiresAt: now + this.ttlMs });
    }
    return current;
  }

  /** Creates the user's first data key; refuses while this process holds a rotated-away key. */
  private async createDataKey(
    userId: string,
    executor: Executor,
  ): Promise<{ version: number; key: Buffer }> {
    const create = async (trx: Executor): Promise<{ version: number; key: Buffer } | number> => {
      // Locking the key check (MySQL) orders this insert against rotate-key's last step, so no
      // key wrapped only by the old master key can appear after the rotation finished.
      const meta = await lockMetaValues(trx, this.dialect, [KEY_CHECK_META_KEY, ROTATION_META_KEY]);
      const check = meta.get(KEY_CHECK_META_KEY);
      const rotation = meta.get(ROTATION_META_KEY);
      if (check === undefined) {
        throw new AppError('INTERNAL_SERVER_ERROR', 'the database has no master key check yet');
      }
      const checkKeyId = (JSON.parse(check) as { keyId?: string }).keyId;
      const rotatingTo =
        rotation !== undefined ? (JSON.parse(rotation) as { to?: string }).to : undefined;
      if (checkKeyId !== this.masterKey.id || (rotatingTo && rotatingTo !== this.masterKey.id)) {
        throw new AppError('SERVICE_UNAVAILABLE', ROTATED_MESSAGE);
      }
      const existing = await dataKeys.findLatestVersion(trx, userId);
      if (existing !== undefined) return existing;
      const version = 1;
      const dataKey = randomBytes(KEY_BYTES);
      await dataKeys.insertDataKey(trx, {
        user_id: userId,
        version,
        wrapped_key: this.masterKey.wrap(dataKey, dataKeyAad(userId, version)),
        master_key_id: this.masterKey.id,
        previous_wrapped_key: null,
        previous_master_key_id: null,
        created_at: Date.now(),
        rotated_at: null,
      });
      return { version, key: dataKey };
    };
    let created: { version: number; key: Buffer } | number;
    let raced = false;
    try {
      created = executor.isTransaction
        ? await create(executor)
        : await (executor as Kysely<Database>).transaction().execute(create);
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      // Two requests created the user's first key at once: use the one that won. A locking
      // read: inside the caller's transaction (MySQL, repeatable read) a plain one would read
      // the snapshot from before the winner committed and find nothing (found by the soak on
      // Galera: replicas on two nodes created one user's first key at once).
      const won = await dataKeys.findLatestVersion(executor, userId, this.dialect);
      if (won === undefined) throw err;
      created = won;
      raced = true;
    }
    if (typeof created === 'number') {
      return { version: created, key: await this.dataKey(userId, created, executor, raced) };
    }
    if (!executor.isTransaction) this.remember(userId, created.version, created.key);
    return created;
  }

  private async dataKey(
    userId: string,
    version: number,
    executor: Executor,
    /** A locking read, which sees rows committed after the caller's transaction began. */
    latest = false,
  ): Promise<Buffer> {
    const cacheKey = `${userId}:${version}`;
    const cached = this.cache.get(cacheKey);
    if (cached && cached.expiresAt > Date.now()) return cached.key;
    const row = await dataKeys.findWraps(
      executor,
      userId,
      version,
      latest ? this.dialect : undefined,
    );
    if (!row) {
      throw new AppError('INTERNAL_SERVER_ERROR', 'a stored secret has lost its data key');
    }
    // After a rotation this process may still hold the old key: the previous wrap serves it.
    const wrapped =
      row.master_key_id === this.masterKey.id
        ? row.wrapped_key
        : row.previous_master_key_id === this.masterKey.id
          ? row.previous_wrapped_key
          : null;
    if (!wrapped) throw new AppError('SERVICE_UNAVAILABLE', ROTATED_MESSAGE);
    let key: Buffer;
    try {
      key = this.masterKey.unwrap(wrapped, dataKeyAad(userId, version));
    } catch (err) {
      if (err instanceof DecryptionError) {
        throw new AppError('INTERNAL_SERVER_ERROR', 'a data key could not be unwrapped', {
          cause: err,
        });
      }
      throw err;
    }
    if (!executor.isTransaction) this.remember(userId, version, key);
    return key;
  }

  private remember(userId: string, version: number, key: Buffer): void {
    const cacheKey = `${userId}:${version}`;
    this.cache.delete(cacheKey);
    while (this.cache.size >= this.maxCached) {
      const oldest = this.cache.keys().next().value;
      if (oldest === undefined) break;
      this.cache.delete(oldest);
    }
    this.cache.set(cacheKey, { key, expiresAt: Date.now() + this.ttlMs });
  }
}
