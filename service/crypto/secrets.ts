// The one way a secret leaves the store: its audit row is written first, and only if that
// succeeded is the secret decrypted and returned (fail closed). A secret sealed under an older
// associated data version is sealed again under the current one here, on its first use, and for
// all rows by upgradeSecretBindings when the service starts.
import { recordAudit, type AuditEntryInput } from '../audit/audit';
import { AppError } from '../errors';
import {
  findCredentialsSealedBefore,
  markCredentialUsed,
  resealCredential,
} from '../store/credentials';
import type { Executor } from '../store/database';
import type { CredentialRow } from '../store/schema';
import { type KeyRing, SECRET_AAD_VERSION, type SecretRow } from './keyring';

/**
 * The credential row to reveal: the secret columns plus what the audit row names, and when it
 * was last used if the caller read that too.
 */
export type RevealableCredential = SecretRow &
  Pick<CredentialRow, 'type' | 'provider' | 'name'> &
  Partial<Pick<CredentialRow, 'last_used_at'>>;

/**
 * last_used_at is written at most once a second per credential: git asks for a token on every
 * fetch and push, and a write each time would double the work of the call (every reveal is still
 * audited). A row read without last_used_at is always marked.
 */
export const MARK_USED_INTERVAL_MS = 1000;

/** Who reveals, why and from where; the credential fields and outcome are filled in here. */
export type RevealAudit = Omit<
  AuditEntryInput,
  'credentialId' | 'credentialType' | 'provider' | 'name' | 'outcome' | 'userId'
> & { userId: string };

/**
 * Returns the plain secret of `credential` for its owner. Throws (and returns nothing) if the
 * audit row cannot be written, if the caller is not the owner (audited as denied), or if the
 * ciphertext does not decrypt.
 */
export async function revealSecret(
  db: Executor,
  keyring: KeyRing,
  credential: RevealableCredential,
  audit: RevealAudit,
): Promise<string> {
  const entry: AuditEntryInput = {
    ...audit,
    outcome: 'success',
    credentialId: credential.id,
    credentialType: credential.type,
    provider: credential.provider,
    name: credential.name,
  };
  if (audit.userId !== credential.user_id) {
    // Nobody reads another user's secret, whatever the caller passed in.
    await recordAudit(db, { ...entry, outcome: 'denied', detail: 'not the owner' });
    throw new AppError('NOT_FOUND', 'no such credential');
  }
  await recordAudit(db, entry);
  let secret: string;
  try {
    secret = await keyring.decryptSecret(credential, db);
  } catch (err) {
    // The success row above is already written; add the failure so the trail tells the truth.
    // If even that write fails, the decryption error is still what the caller gets.
    await recordAudit(db, {
      ...entry,
      outcome: 'failure',
      detail: 'the secret could not be decrypted',
    }).catch(() => undefined);
    if (err instanceof AppError && err.code === 'CONFLICT') {
      // Name the record, so the user knows which one to save again.
      const what = `${credential.type.replace('_', ' ')} '${credential.name.slice(0, 100)}' (${credential.provider})`;
      throw new AppError('CONFLICT', `${what}: ${err.message}`, { cause: err });
    }
    throw err;
  }
  if (Number(credential.secret_aad_version) < SECRET_AAD_VERSION) {
    // The details it opened with are the ones it was stored with: bind them from now on.
    await resealCredential(db, credential, await keyring.encryptSecret(credential, secret, db));
  }
  const now = Date.now();
  const lastUsed = credential.last_used_at;
  if (lastUsed === undefined || lastUsed === null || now - lastUsed >= MARK_USED_INTERVAL_MS) {
    await markCredentialUsed(db, credential.user_id, credential.id, now);
  }
  return secret;
}

/**
 * Seals every secret still under an older associated data version again under the current one
 * (the service runs this at start, with its key ring; a migration has no key). A row that does
 * not open is left as it is and counted as failed: its reveal fails with a clear error.
 */
export async function upgradeSecretBindings(
  db: Executor,
  keyring: KeyRing,
  options: { batchSize?: number } = {},
): Promise<{ upgraded: number; failed: number }> {
  const batchSize = options.batchSize ?? 200;
  let upgraded = 0;
  let failed = 0;
  let after = '';
  for (;;) {
    const rows = await findCredentialsSealedBefore(db, SECRET_AAD_VERSION, after, batchSize);
    for (const row of rows) {
      try {
        if (await resealCredential(db, row, await keyring.rebindSecret(row, row, db))) upgraded++;
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        failed++;
      }
    }
    const last = rows[rows.length - 1];
    if (!last || rows.length < batchSize) break;
    after = last.id;
  }
  return { upgraded, failed };
}
