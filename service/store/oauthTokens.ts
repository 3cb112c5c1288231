// The OAuth side of git tokens in the credentials table: the refresh token (encrypted under its
// own associated data, so it can never be swapped for the access token of the same row), and the
// claim that lets one process at a time, across replicas, spend a refresh token.
//
// oauth_version is even while nobody refreshes; a refresher moves it to the next odd number with
// a compare-and-swap (only one wins), calls the provider, and writes the new tokens moving it to
// the next even number. A claim older than REFRESH_CLAIM_MS (a crashed replica) may be taken over.
import { noteWrite } from './credentials';
import type { Executor } from './database';
import type { CredentialRow } from './schema';
import type { SecretOwner, SecretSealer } from './secretSealer';

export const REFRESH_CLAIM_MS = 30_000;

/** The row id the refresh token's ciphertext is bound to (never the access token's). */
export function refreshAad(rowId: string): string {
  return `${rowId}#refresh`;
}

/** The AAD version refresh tokens are sealed with (the key ring's second form). */
const REFRESH_AAD_VERSION = 2;

/**
 * What a refresh token is bound to: its owner, its own id next to the row's, and the token's
 * type and provider. Not the name or URL: a rename must not lose the sign-in, and a token whose
 * URL changes is a pasted one anyway.
 */
function refreshOwner(row: {
  id: string;
  user_id: string;
  type: CredentialRow['type'];
  provider: CredentialRow['provider'];
}): SecretOwner {
  return {
    id: refreshAad(row.id),
    user_id: row.user_id,
    type: row.type,
    provider: row.provider,
    name: '',
    url: null,
    env_var: null,
  };
}

export async function encryptRefreshToken(
  db: Executor,
  keyring: SecretSealer,
  row: {
    id: string;
    user_id: string;
    type: CredentialRow['type'];
    provider: CredentialRow['provider'];
  },
  refreshToken: string | null,
) {
  if (refreshToken === null) {
    return {
      refresh_ciphertext: null,
      refresh_iv: null,
      refresh_tag: null,
      refresh_data_key_version: null,
    };
  }
  const e = await keyring.encryptSecret(refreshOwner(row), refreshToken, db, REFRESH_AAD_VERSION);
  return {
    refresh_ciphertext: e.secret_ciphertext,
    refresh_iv: e.secret_iv,
    refresh_tag: e.secret_tag,
    refresh_data_key_version: e.data_key_version,
  };
}

export async function decryptRefreshToken(
  db: Executor,
  keyring: SecretSealer,
  row: CredentialRow,
): Promise<string | null> {
  if (!row.refresh_ciphertext || !row.refresh_iv || !row.refresh_tag) return null;
  return keyring.decryptSecret(
    {
      ...refreshOwner(row),
      secret_ciphertext: row.refresh_ciphertext,
      secret_iv: row.refresh_iv,
      secret_tag: row.refresh_tag,
      data_key_version: row.refresh_data_key_version ?? row.data_key_version,
      secret_aad_version: REFRESH_AAD_VERSION,
    },
    db,
  );
}

/** Claims the refresh of `row` (read at `version`); false when another process has it. */
export async function claimRefresh(
  db: Executor,
  row: CredentialRow,
  now = Date.now(),
): Promise<boolean> {
  const version = row.oauth_version;
  const stale = version % 2 === 1 && now - row.updated_at > REFRESH_CLAIM_MS;
  if (version % 2 === 1 && !stale) return false;
  const next = version % 2 === 0 ? version + 1 : version + 2;
  const result = await noteWrite(db, row.user_id, () =>
    db
      .updateTable('credentials')
      .set({ oauth_version: next, updated_at: now })
      .where('id', '=', row.id)
      .where('user_id', '=', row.user_id)
      .where('oauth_version', '=', version)
      .executeTakeFirst(),
  );
  return Number(result.numUpdatedRows) === 1;
}

/** Ends a claim (taken at `claimed`) with the new tokens, or with the failure marked. */
export async function finishRefresh(
  db: Executor,
  userId: string,
  id: string,
  claimed: number,
  values: Partial<
    Pick<
      CredentialRow,
      | 'secret_ciphertext'
      | 'secret_iv'
      | 'secret_tag'
      | 'data_key_version'
      | 'secret_aad_version'
      | 'hint'
      | 'expires_at'
      | 'refresh_ciphertext'
      | 'refresh_iv'
      | 'refresh_tag'
      | 'refresh_data_key_version'
      | 'refresh_expires_at'
      | 'refresh_failed_at'
      | 'last_test_status'
      | 'last_test_detail'
      | 'last_test_at'
    >
  >,
): Promise<boolean> {
  const result = await noteWrite(db, userId, () =>
    db
      .updateTable('credentials')
      .set({ ...values, oauth_version: claimed + 1, updated_at: Date.now() })
      .where('id', '=', id)
      .where('user_id', '=', userId)
      .where('oauth_version', '=', claimed)
      .executeTakeFirst(),
  );
  return Number(result.numUpdatedRows) === 1;
}

/** Marks a token as coming from an OAuth sign-in, with its refresh token (or none). */
export async function setOauthColumns(
  db: Executor,
  userId: string,
  id: string,
  values: Partial<
    Pick<
      CredentialRow,
      | 'refresh_ciphertext'
      | 'refresh_iv'
      | 'refresh_tag'
      | 'refresh_data_key_version'
      | 'refresh_expires_at'
      | 'refresh_failed_at'
    >
  > & { source: 'oauth' | 'pasted' },
): Promise<void> {
  await noteWrite(db, userId, () =>
    db
      .updateTable('credentials')
      .set(values)
      .where('id', '=', id)
      .where('user_id', '=', userId)
      .execute(),
  );
}
