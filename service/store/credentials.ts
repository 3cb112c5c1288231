// The credentials table: every query is scoped by the owner's user id. Secrets are encrypted by
// the key ring (a SecretSealer) before they reach a row. Only findCredentialForUser,
// findCredentialByName and findCredentialsSealedBefore return the secret columns (to reveal or
// re-seal a secret); every other finder and list returns a CredentialInfo, without them.
import { randomUUID } from 'node:crypto';
import { type CompiledQuery, createQueryId } from 'kysely';
import { AppError } from '../errors';
import type { Executor } from './database';
import { ReadCache } from './readCache';
import { dialectOf, isUniqueViolation } from './dialect';
import type { EncryptedSecret, SecretRow, SecretSealer } from './secretSealer';
import type {
  CredentialProvider,
  CredentialRow,
  CredentialSource,
  CredentialType,
  Database,
  NewCredentialRow,
  TestStatus,
} from './schema';

type SecretColumn =
  | 'secret_ciphertext'
  | 'secret_iv'
  | 'secret_tag'
  | 'data_key_version'
  | 'refresh_ciphertext'
  | 'refresh_iv'
  | 'refresh_tag'
  | 'refresh_data_key_version'
  | 'secret_aad_version';

/** A credential without its encrypted secret: what every listing works with. */
export type CredentialInfo = Omit<CredentialRow, SecretColumn>;

const INFO_COLUMNS = [
  'id',
  'user_id',
  'type',
  'provider',
  'name',
  'username',
  'url',
  'env_var',
  'hint',
  'public_key',
  'fingerprint',
  'expires_at',
  'created_at',
  'updated_at',
  'last_used_at',
  'last_test_status',
  'last_test_detail',
  'last_test_at',
  'path_prefix',
  'source',
  'refresh_expires_at',
  'refresh_failed_at',
  'oauth_version',
] as const satisfies readonly (keyof CredentialInfo)[];

/** '…' + the last 4 characters: enough to tell tokens apart, too little to guess one. */
export function secretHint(secret: string): string {
  return secret.length <= 8 ? '…' : `…${secret.slice(-4)}`;
}

function conflict(err: unknown, c: { type: string; provider: string; name: string }): unknown {
  if (!isUniqueViolation(err)) return err;
  return new AppError(
    'CONFLICT',
    `a ${c.type.replace('_', ' ')} named '${c.name}' for ${c.provider} already exists`,
    { cause: err },
  );
}

export interface NewCredential {
  userId: string;
  type: CredentialType;
  provider: CredentialProvider;
  name: string;
  /** The secret in plain text: encrypted here, never stored as given. */
  secret: string;
  username?: string | null;
  url?: string | null;
  envVar?: string | null;
  /** Defaults to secretHint(secret); SSH keys pass their key type. */
  hint?: string;
  publicKey?: string | null;
  fingerprint?: string | null;
  expiresAt?: number | null;
  /** Git tokens: the repository path prefix the token answers for. */
  pathPrefix?: string | null;
  source?: CredentialSource;
}

/**
 * Encrypts and inserts a credential; CONFLICT if the user already has one of this type,
 * provider and name. Pass a transaction as `db` to make it part of a larger change.
 */
export async function createCredential(
  db: Executor,
  keyring: SecretSealer,
  input: NewCredential,
): Promise<CredentialInfo> {
  const id = randomUUID();
  const now = Date.now();
  const encrypted = await keyring.encryptSecret(
    {
      id,
      user_id: input.userId,
      type: input.type,
      provider: input.provider,
      name: input.name,
      url: input.url ?? null,
      env_var: input.envVar ?? null,
    },
    input.secret,
    db,
  );
  const row: NewCredentialRow = {
    id,
    user_id: input.userId,
    type: input.type,
    provider: input.provider,
    name: input.name,
    username: input.username ?? null,
    url: input.url ?? null,
    env_var: input.envVar ?? null,
    hint: input.hint ?? secretHint(input.secret),
    public_key: input.publicKey ?? null,
    fingerprint: input.fingerprint ?? null,
    ...encrypted,
    expires_at: input.expiresAt ?? null,
    created_at: now,
    updated_at: now,
    last_used_at: null,
    last_test_status: null,
    last_test_detail: null,
    last_test_at: null,
    path_prefix: input.pathPrefix ?? null,
    source: input.source ?? 'pasted',
  };
  await insertCredential(db, row);
  return toInfo(row);
}

/** Inserts a row whose secret is already encrypted (restore, tests); CONFLICT on duplicates. */
export async function insertCredential(db: Executor, row: NewCredentialRow): Promise<void> {
  try {
    await noteWrite(db, row.user_id, () => db.insertInto('credentials').values(row).execute());
  } catch (err) {
    throw conflict(err, row);
  }
}

function toInfo(row: NewCredentialRow): CredentialInfo {
  const {
    secret_ciphertext: _c,
    secret_iv: _i,
    secret_tag: _t,
    data_key_version: _v,
    refresh_ciphertext: _rc,
    refresh_iv: _ri,
    refresh_tag: _rt,
    refresh_data_key_version: _rv,
    secret_aad_version: _a,
    ...info
  } = {
    refresh_expires_at: null,
    refresh_failed_at: null,
    oauth_version: 0,
    ...row,
  } as CredentialRow;
  return info;
}

export interface CredentialChanges {
  name?: string;
  username?: string | null;
  url?: string | null;
  envVar?: string | null;
  expiresAt?: number | null;
  publicKey?: string | null;
  fingerprint?: string | null;
  hint?: string;
  pathPrefix?: string | null;
  /** A new secret: re-encrypted with a fresh IV, and the hint follows unless given. */
  secret?: string;
}

/** Updates the user's credential `id`; NOT_FOUND if it is not theirs, CONFLICT on a taken name. */
export async function updateCredential(
  db: Executor,
  keyring: SecretSealer,
  userId: string,
  id: string,
  changes: CredentialChanges,
): Promise<CredentialInfo> {
  const current = await findCredentialForUser(db, userId, id);
  if (!current) throw new AppError('NOT_FOUND', 'no such credential');
  const binding = {
    type: current.type,
    provider: current.provider,
    name: changes.name ?? current.name,
    url: changes.url !== undefined ? changes.url : current.url,
    env_var: changes.envVar !== undefined ? changes.envVar : current.env_var,
  };
  const rebound =
    binding.name !== current.name ||
    binding.url !== current.url ||
    binding.env_var !== current.env_var;
  // The secret is sealed together with its binding: a new binding needs a new seal, with the
  // new secret or, without one, the stored secret opened and sealed again inside the key ring.
  const encrypted =
    changes.secret !== undefined
      ? await keyring.encryptSecret({ id, user_id: userId, ...binding }, changes.secret, db)
      : rebound
        ? await keyring.rebindSecret(current, binding, db)
        : {};
  const set = {
    ...(changes.name !== undefined && { name: changes.name }),
    ...(changes.username !== undefined && { username: changes.username }),
    ...(changes.url !== undefined && { url: changes.url }),
    ...(changes.envVar !== undefined && { env_var: changes.envVar }),
    ...(changes.expiresAt !== undefined && { expires_at: changes.expiresAt }),
    ...(changes.publicKey !== undefined && { public_key: changes.publicKey }),
    ...(changes.fingerprint !== undefined && { fingerprint: changes.fingerprint }),
    ...(changes.pathPrefix !== undefined && { path_prefix: changes.pathPrefix }),
    ...(changes.hint !== undefined
      ? { hint: changes.hint }
      : changes.secret !== undefined && { hint: secretHint(changes.secret) }),
    ...encrypted,
    // A new secret has not been tested yet.
    ...(changes.secret !== undefined && {
      last_test_status: null,
      last_test_detail: null,
      last_test_at: null,
    }),
    updated_at: Date.now(),
  };
  try {
    await noteWrite(db, userId, () =>
      db
        .updateTable('credentials')
        .set(set)
        .where('id', '=', id)
        .where('user_id', '=', userId)
        .execute(),
    );
  } catch (err) {
    throw conflict(err, { ...current, name: changes.name ?? current.name });
  }
  const updated = await findCredentialInfo(db, userId, id);
  if (!updated) throw new AppError('NOT_FOUND', 'no such credential');
  return updated;
}

/** The full row with the encrypted secret, for revealSecret; undefined if not the user's. */
export async function findCredentialForUser(
  db: Executor,
  userId: string,
  id: string,
): Promise<CredentialRow | undefined> {
  return db
    .selectFrom('credentials')
    .selectAll()
    .where('id', '=', id)
    .where('user_id', '=', userId)
    .executeTakeFirst();
}

/**
 * The full row WITH the encrypted secret by its natural key (type, provider, name), for
 * revealSecret; findCredentialInfoByName when only the information is wanted.
 */
export async function findCredentialByName(
  db: Executor,
  userId: string,
  key: { type: CredentialType; provider: CredentialProvider; name: string },
): Promise<CredentialRow | undefined> {
  return db
    .selectFrom('credentials')
    .selectAll()
    .where('user_id', '=', userId)
    .where('type', '=', key.type)
    .where('provider', '=', key.provider)
    .where('name', '=', key.name)
    .executeTakeFirst();
}

export async function findCredentialInfo(
  db: Executor,
  userId: string,
  id: string,
): Promise<CredentialInfo | undefined> {
  return db
    .selectFrom('credentials')
    .select(INFO_COLUMNS)
    .where('id', '=', id)
    .where('user_id', '=', userId)
    .executeTakeFirst();
}

/** A credential's information (no secret columns) by its natural key (type, provider, name). */
export async function findCredentialInfoByName(
  db: Executor,
  userId: string,
  key: { type: CredentialType; provider: CredentialProvider; name: string },
): Promise<CredentialInfo | undefined> {
  return db
    .selectFrom('credentials')
    .select(INFO_COLUMNS)
    .where('user_id', '=', userId)
    .where('type', '=', key.type)
    .where('provider', '=', key.provider)
    .where('name', '=', key.name)
    .executeTakeFirst();
}

/**
 * How long a user's credential list is answered from memory. Listing is what most requests do
 * (the sidebar, the git credential helper, every injection); the rows hold no secret. Every write
 * through this process forgets the user's list at once (noteWrite), so only another process's
 * change (a restore, another replica) can be missed, and for no longer than this.
 */
export const CREDENTIAL_LIST_CACHE_MS = 1000;

const listCache = new ReadCache<readonly CredentialInfo[]>({
  ttlMs: CREDENTIAL_LIST_CACHE_MS,
  maxEntries: 10_000,
});

/** Runs a write to a user's credentials with their cached list forgotten around it. */
export function noteWrite<T>(db: Executor, userId: string, write: () => Promise<T>): Promise<T> {
  return listCache.around(() => listCache.forgetKey(db, userId), write);
}

/** The user's credentials (no secrets), optionally of one type and/or provider, by name. */
export async function listCredentials(
  db: Executor,
  userId: string,
  filter: { type?: CredentialType; provider?: CredentialProvider } = {},
): Promise<CredentialInfo[]> {
  const all = (await listCache.read(db, userId, () => selectCredentials(db, userId))) ?? [];
  return all.filter(
    (c) =>
      (!filter.type || c.type === filter.type) &&
      (!filter.provider || c.provider === filter.provider),
  );
}

/** All of a user's credentials by type, provider and name, frozen: the cache shares them. */
async function selectCredentials(db: Executor, userId: string): Promise<readonly CredentialInfo[]> {
  // Its SQL is compiled once per dialect: building and compiling the query with Kysely cost
  // more than running it.
  const dialect = dialectOf<Database>(db);
  let compiled = listSql.get(dialect);
  if (!compiled) {
    compiled = db
      .selectFrom('credentials')
      .select(INFO_COLUMNS)
      .where('user_id', '=', '')
      .orderBy('type')
      .orderBy('provider')
      .orderBy('name')
      .compile();
    listSql.set(dialect, compiled);
  }
  const { rows } = await db.executeQuery<CredentialInfo>({
    ...compiled,
    queryId: createQueryId(),
    parameters: [userId],
  });
  for (const row of rows) Object.freeze(row);
  return Object.freeze(rows);
}

const listSql = new Map<string, CompiledQuery<CredentialInfo>>();

/** Deletes the user's credential; false if it was not theirs (or already gone). */
export async function deleteCredential(db: Executor, userId: string, id: string): Promise<boolean> {
  const result = await noteWrite(db, userId, () =>
    db
      .deleteFrom('credentials')
      .where('id', '=', id)
      .where('user_id', '=', userId)
      .executeTakeFirst(),
  );
  return Number(result.numDeletedRows) > 0;
}

/** Deletes all of a user's credentials (clearAll); returns how many. */
export async function deleteAllCredentials(db: Executor, userId: string): Promise<number> {
  const result = await noteWrite(db, userId, () =>
    db.deleteFrom('credentials').where('user_id', '=', userId).executeTakeFirst(),
  );
  return Number(result.numDeletedRows);
}

export async function recordTestResult(
  db: Executor,
  userId: string,
  id: string,
  result: { status: TestStatus; detail: string | null; at?: number; expiresAt?: number | null },
): Promise<void> {
  await noteWrite(db, userId, () =>
    db
      .updateTable('credentials')
      .set({
        last_test_status: result.status,
        last_test_detail: result.detail?.slice(0, 1000) ?? null,
        last_test_at: result.at ?? Date.now(),
        ...(result.expiresAt !== undefined && { expires_at: result.expiresAt }),
      })
      .where('id', '=', id)
      .where('user_id', '=', userId)
      .execute(),
  );
}

export async function markCredentialUsed(
  db: Executor,
  userId: string,
  id: string,
  at: number = Date.now(),
): Promise<void> {
  await noteWrite(db, userId, () =>
    db
      .updateTable('credentials')
      .set({ last_used_at: at })
      .where('id', '=', id)
      .where('user_id', '=', userId)
      .execute(),
  );
}

/**
 * Replaces a row's seal (same secret, sealed again) if the row still holds the seal `row` was
 * read with: a concurrent update wins. True if replaced. The cached lists hold no seal, so no
 * cache is touched.
 */
export async function resealCredential(
  db: Executor,
  row: SecretRow,
  sealed: EncryptedSecret,
): Promise<boolean> {
  const result = await db
    .updateTable('credentials')
    .set(sealed)
    .where('id', '=', row.id)
    .where('user_id', '=', row.user_id)
    .where('secret_ciphertext', '=', row.secret_ciphertext)
    .where('secret_iv', '=', row.secret_iv)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Up to `limit` rows sealed under an older associated data version, by id after `afterId`. */
export async function findCredentialsSealedBefore(
  db: Executor,
  aadVersion: number,
  afterId: string,
  limit: number,
): Promise<CredentialRow[]> {
  return db
    .selectFrom('credentials')
    .selectAll()
    .where('secret_aad_version', '<', aadVersion)
    .where('id', '>', afterId)
    .orderBy('id')
    .limit(limit)
    .execute();
}
