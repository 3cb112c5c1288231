// The service_meta table: small named values of the service itself, among them the master key
// check (which key the database is under) and the marker of a key rotation in progress.
// Every statement on the table; what the values mean is decided in service/crypto.
import { ConfigError } from '../config';
import type { Executor } from './database';
import { type DialectName, forUpdate } from './dialect';

/** The key check: the master key's id and a known value encrypted under it. */
export const KEY_CHECK_META_KEY = 'key_check';
/** Set while a key rotation runs: the master key it moves from and to. */
export const ROTATION_META_KEY = 'rotation';

export interface KeyCheck {
  keyId: string;
  check: string;
}

/** The value stored under `key`, or undefined. */
export async function getMetaValue(db: Executor, key: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('service_meta')
    .select('value')
    .where('key', '=', key)
    .executeTakeFirst();
  return row?.value;
}

/**
 * The values of `keys` that exist, read with a row lock on MySQL (inside a transaction, this
 * orders the caller against a writer of the same rows).
 */
export async function lockMetaValues(
  db: Executor,
  dialect: DialectName,
  keys: readonly string[],
): Promise<Map<string, string>> {
  const rows = await forUpdate(
    db.selectFrom('service_meta').select(['key', 'value']).where('key', 'in', keys),
    dialect,
  ).execute();
  return new Map(rows.map((r) => [r.key, r.value]));
}

/** Inserts a value; a value already under `key` makes this a unique violation. */
export async function insertMetaValue(db: Executor, key: string, value: string): Promise<void> {
  await db.insertInto('service_meta').values({ key, value, updated_at: Date.now() }).execute();
}

/** Writes a value, replacing the one under `key` if there is one. */
export async function setMetaValue(db: Executor, key: string, value: string): Promise<void> {
  const now = Date.now();
  const updated = await db
    .updateTable('service_meta')
    .set({ value, updated_at: now })
    .where('key', '=', key)
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) === 0) {
    await db.insertInto('service_meta').values({ key, value, updated_at: now }).execute();
  }
}

export async function deleteMetaValue(db: Executor, key: string): Promise<void> {
  await db.deleteFrom('service_meta').where('key', '=', key).execute();
}

/** The stored key check, or undefined on a database the service never started on. */
export async function readKeyCheck(db: Executor): Promise<KeyCheck | undefined> {
  const value = await getMetaValue(db, KEY_CHECK_META_KEY);
  return value === undefined ? undefined : parseKeyCheck(value);
}

/** A stored key check value; ConfigError (start-up stops) when it is damaged. */
export function parseKeyCheck(value: string): KeyCheck {
  let parsed: Partial<KeyCheck> | null = null;
  try {
    parsed = JSON.parse(value) as Partial<KeyCheck> | null;
  } catch {
    // Reported below as damaged.
  }
  if (typeof parsed?.keyId !== 'string' || typeof parsed.check !== 'string') {
    throw new ConfigError('the database holds a damaged key check (service_meta.key_check)');
  }
  return { keyId: parsed.keyId, check: parsed.check };
}
