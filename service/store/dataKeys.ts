// The data_keys table: each user's data keys by version, wrapped by the master key (the key ring,
// service/crypto/keyring.ts, wraps and unwraps; rotation re-wraps). Every statement on the table.
import type { Selectable } from 'kysely';
import type { Executor } from './database';
import { type DialectName, forUpdate } from './dialect';
import type { DataKeysTable } from './schema';

export type DataKeyRow = Selectable<DataKeysTable>;

/** The wraps of one data key: under the current master key and, after a rotation, the previous. */
export type DataKeyWraps = Pick<
  DataKeyRow,
  'wrapped_key' | 'master_key_id' | 'previous_wrapped_key' | 'previous_master_key_id'
>;

/**
 * The user's newest data key version, or undefined when the user has none yet. With
 * `lockingRead` (the dialect), a locking read: inside a transaction on MySQL it sees rows
 * committed after the transaction began, which a plain read's snapshot does not.
 */
export async function findLatestVersion(
  db: Executor,
  userId: string,
  lockingRead?: DialectName,
): Promise<number | undefined> {
  const query = db
    .selectFrom('data_keys')
    .select('version')
    .where('user_id', '=', userId)
    .orderBy('version', 'desc')
    .limit(1);
  const row = await (lockingRead ? forUpdate(query, lockingRead) : query).executeTakeFirst();
  return row?.version;
}

/** The wraps of one data key; `lockingRead` as for findLatestVersion. */
export async function findWraps(
  db: Executor,
  userId: string,
  version: number,
  lockingRead?: DialectName,
): Promise<DataKeyWraps | undefined> {
  const query = db
    .selectFrom('data_keys')
    .select(['wrapped_key', 'master_key_id', 'previous_wrapped_key', 'previous_master_key_id'])
    .where('user_id', '=', userId)
    .where('version', '=', version);
  return (lockingRead ? forUpdate(query, lockingRead) : query).executeTakeFirst();
}

/** Inserts a data key; a second insert of the same (user, version) is a unique violation. */
export async function insertDataKey(db: Executor, row: DataKeyRow): Promise<void> {
  await db.insertInto('data_keys').values(row).execute();
}

/** How many data keys are not wrapped by `masterKeyId` yet (rotation's total). */
export async function countNotWrappedBy(db: Executor, masterKeyId: string): Promise<number> {
  const row = await db
    .selectFrom('data_keys')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('master_key_id', '!=', masterKeyId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Up to `limit` data keys not wrapped by `masterKeyId`, in a stable order (one rotation batch). */
export async function listNotWrappedBy(
  db: Executor,
  masterKeyId: string,
  limit: number,
): Promise<DataKeyRow[]> {
  return db
    .selectFrom('data_keys')
    .selectAll()
    .where('master_key_id', '!=', masterKeyId)
    .orderBy('user_id')
    .orderBy('version')
    .limit(limit)
    .execute();
}

/**
 * Replaces the wraps of one data key, only while it is still wrapped by `expectedMasterKeyId`
 * (a concurrent rotation that got there first wins). Returns how many rows changed (0 or 1).
 */
export async function rewrap(
  db: Executor,
  key: Pick<DataKeyRow, 'user_id' | 'version'>,
  expectedMasterKeyId: string,
  wraps: DataKeyWraps & { rotated_at: number },
): Promise<number> {
  const result = await db
    .updateTable('data_keys')
    .set(wraps)
    .where('user_id', '=', key.user_id)
    .where('version', '=', key.version)
    .where('master_key_id', '=', expectedMasterKeyId)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Up to `limit` data keys wrapped by `masterKeyId` that still keep a previous wrap. */
export async function listWithPreviousWrap(
  db: Executor,
  masterKeyId: string,
  limit: number,
): Promise<Array<Pick<DataKeyRow, 'user_id' | 'version'>>> {
  return db
    .selectFrom('data_keys')
    .select(['user_id', 'version'])
    .where('previous_wrapped_key', 'is not', null)
    .where('master_key_id', '=', masterKeyId)
    .limit(limit)
    .execute();
}

/** Drops the previous wrap of one data key; returns how many rows changed (0 or 1). */
export async function forgetPreviousWrap(
  db: Executor,
  key: Pick<DataKeyRow, 'user_id' | 'version'>,
): Promise<number> {
  const result = await db
    .updateTable('data_keys')
    .set({ previous_wrapped_key: null, previous_master_key_id: null })
    .where('user_id', '=', key.user_id)
    .where('version', '=', key.version)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
