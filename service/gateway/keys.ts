// The user's key for a gateway route, and its plain value for the call. The choice is made from
// the user's credential list (cached for a second, forgotten at once by any write through this
// process), and the decrypted value is kept in memory for KEY_CACHE_MS, but only while the list
// still shows the same credential unchanged (same id, same updated_at): a key that was changed
// or deleted is never sent after this process saw the change, and one changed through another
// replica is seen within CREDENTIAL_LIST_CACHE_MS. Whether cached or not, the caller writes the
// call's audit row before it asks for the value (fail closed, as crypto/secrets.ts's revealSecret
// is for secrets handed out). It does not go through revealSecret, which writes a `read` row: an
// AI call uses the key without handing it out, and its own `ai_request` row is its audit (rows
// sealed under an older binding are sealed again at start, by upgradeSecretBindings).
import { AppError } from '../errors';
import type { KeyRing } from '../crypto/keyring';
import type { Executor } from '../store/database';
import { type CredentialInfo, findCredentialForUser, listCredentials } from '../store/credentials';
import type { GatewayRoute } from './routes';

/**
 * How long a decrypted key is reused. A decryption costs an AES-GCM open per call (plus, every
 * minute, a data key unwrap); the value in memory is what the next call would decrypt anyway,
 * and a string cannot be wiped from a JavaScript heap, so a few seconds add no exposure.
 */
export const KEY_CACHE_MS = 10_000;
const MAX_CACHED_KEYS = 1000;

interface CachedKey {
  userId: string;
  updatedAt: number;
  secret: string;
  until: number;
}

export class GatewayKeys {
  private readonly cache = new Map<string, CachedKey>();

  constructor(
    private readonly db: Executor,
    private readonly keyring: KeyRing,
  ) {}

  /** The credential the route names for the user: the custom key by name, else `default` or the first. */
  async choose(userId: string, route: GatewayRoute): Promise<CredentialInfo> {
    const keys = await listCredentials(this.db, userId, {
      type: 'ai_token',
      provider: route.provider,
    });
    const chosen =
      route.provider === 'custom'
        ? keys.find((k) => k.name === route.customName)
        : (keys.find((k) => k.name === 'default') ?? keys[0]);
    if (!chosen) {
      const which = route.customName ? `custom key "${route.customName}"` : `${route.provider} key`;
      throw new AppError('NOT_FOUND', `no ${which} is saved for this user`);
    }
    return chosen;
  }

  /** The plain key of a credential `choose` returned (call only after the audit row is written). */
  async secretOf(info: CredentialInfo): Promise<string> {
    const now = Date.now();
    const cached = this.cache.get(info.id);
    if (
      cached &&
      cached.until > now &&
      cached.userId === info.user_id &&
      cached.updatedAt === Number(info.updated_at)
    ) {
      return cached.secret;
    }
    this.cache.delete(info.id);
    // The row as it is now: a key changed since the list was read is sent as changed.
    const row = await findCredentialForUser(this.db, info.user_id, info.id);
    if (!row)
      throw new AppError('NOT_FOUND', `the ${info.provider} key "${info.name}" was deleted`);
    let secret: string;
    try {
      secret = await this.keyring.decryptSecret(row);
    } catch (err) {
      if (err instanceof AppError && err.code === 'CONFLICT') {
        // Name the record, so the user knows which one to save again.
        const what = `AI key '${row.name.slice(0, 100)}' (${row.provider})`;
        throw new AppError('CONFLICT', `${what}: ${err.message}`, { cause: err });
      }
      throw err;
    }
    if (this.cache.size >= MAX_CACHED_KEYS) {
      for (const [id, entry] of this.cache) if (entry.until <= now) this.cache.delete(id);
      const oldest = this.cache.keys().next();
      if (this.cache.size >= MAX_CACHED_KEYS && !oldest.done) this.cache.delete(oldest.value);
    }
    this.cache.set(info.id, {
      userId: row.user_id,
      updatedAt: Number(row.updated_at),
      secret,
      until: now + KEY_CACHE_MS,
    });
    return secret;
  }
}
