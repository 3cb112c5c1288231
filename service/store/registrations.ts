// Where an SSH key was registered (GitHub, GitLab, Forgejo), one row per key and provider.
// Every call is scoped by the key owner's user id through the credentials table.
import type { Executor } from './database';
import { isUniqueViolation } from './dialect';
import type { GitProvider, KeyUsage, RegistrationStatus } from './schema';

export interface Registration {
  credential_id: string;
  provider: GitProvider;
  status: RegistrationStatus;
  detail: string | null;
  remote_id: string | null;
  checked_at: number;
  usage?: KeyUsage | null;
  signing_remote_id?: string | null;
}

async function ownsCredential(
  db: Executor,
  userId: string,
  credentialId: string,
): Promise<boolean> {
  const row = await db
    .selectFrom('credentials')
    .select('id')
    .where('id', '=', credentialId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return row !== undefined;
}

/** Inserts or replaces the registration of the user's key with a provider; false if not theirs. */
export async function upsertRegistration(
  db: Executor,
  userId: string,
  registration: Registration,
): Promise<boolean> {
  if (!(await ownsCredential(db, userId, registration.credential_id))) return false;
  const { credential_id, provider, ...rest } = registration;
  const update = () =>
    db
      .updateTable('ssh_key_registrations')
      .set({ ...rest, detail: rest.detail?.slice(0, 1000) ?? null })
      .where('credential_id', '=', credential_id)
      .where('provider', '=', provider)
      .executeTakeFirst();
  if (Number((await update()).numUpdatedRows) > 0) return true;
  try {
    await db
      .insertInto('ssh_key_registrations')
      .values({ ...registration, detail: registration.detail?.slice(0, 1000) ?? null })
      .execute();
  } catch (err) {
    // Registered by a concurrent call between our update and insert: update theirs.
    if (!isUniqueViolation(err)) throw err;
    await update();
  }
  return true;
}

/** Registrations of the user's keys, optionally only of some keys, by provider. */
export async function listRegistrations(
  db: Executor,
  userId: string,
  credentialIds?: string[],
): Promise<Registration[]> {
  if (credentialIds && credentialIds.length === 0) return [];
  let query = db
    .selectFrom('ssh_key_registrations as r')
    .innerJoin('credentials as c', 'c.id', 'r.credential_id')
    .select([
      'r.credential_id',
      'r.provider',
      'r.status',
      'r.detail',
      'r.remote_id',
      'r.checked_at',
      'r.usage',
      'r.signing_remote_id',
    ])
    .where('c.user_id', '=', userId);
  if (credentialIds) query = query.where('r.credential_id', 'in', credentialIds);
  return query.orderBy('r.credential_id').orderBy('r.provider').execute();
}

/** Removes the registration rows of a key (the provider side is the caller's business). */
export async function deleteRegistrations(
  db: Executor,
  userId: string,
  credentialId: string,
): Promise<number> {
  if (!(await ownsCredential(db, userId, credentialId))) return 0;
  const result = await db
    .deleteFrom('ssh_key_registrations')
    .where('credential_id', '=', credentialId)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
