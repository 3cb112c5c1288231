// rotate-key: re-wraps every data key under a new master key in bounded batches while services
// on the old key keep reading (each row keeps a wrap under the old key). Idempotent and
// resumable: rows already under the new key are skipped, and the key check moves last.
import type { Kysely } from 'kysely';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { dataKeyAad } from './keyring';
import {
  KeyMismatchError,
  keyCheckMatches,
  type MasterKey,
  MasterKeyError,
  writeKeyCheck,
} from './masterKey';
import * as dataKeys from '../store/dataKeys';
import type { Database } from '../store/schema';
import { inTransaction } from '../store/retry';
import {
  deleteMetaValue,
  getMetaValue,
  readKeyCheck,
  ROTATION_META_KEY,
  setMetaValue,
} from '../store/serviceMeta';

export interface RotationOptions {
  /** Data keys re-wrapped per transaction (default 500). */
  batchSize?: number;
  /** Stop after this many batches, leaving the rotation to be resumed (tests, throttling). */
  maxBatches?: number;
  /** Called after each committed batch. */
  onBatch?: (progress: { batches: number; rotated: number }) => void;
}

export interface RotationResult {
  /** 'already_rotated' when the database was under the new key with nothing left to do. */
  status: 'rotated' | 'already_rotated' | 'interrupted';
  rotated: number;
  batches: number;
}

/** Re-wraps one batch; returns how many rows it changed (0 when none is left). */
async function rotateBatch(
  db: Kysely<Database>,
  current: MasterKey,
  next: MasterKey,
  batchSize: number,
): Promise<{ seen: number; rotated: number }> {
  return inTransaction(db, async (trx) => {
    const rows = await dataKeys.listNotWrappedBy(trx, next.id, batchSize);
    let rotated = 0;
    const now = Date.now();
    for (const row of rows) {
      const aad = dataKeyAad(row.user_id, row.version);
      // The current key may sit in either wrap (an earlier interrupted run to another key).
      const wrapped =
        row.master_key_id === current.id
          ? row.wrapped_key
          : row.previous_master_key_id === current.id
            ? row.previous_wrapped_key
            : null;
      if (!wrapped) {
        throw new MasterKeyError(
          `the data key ${row.user_id}/${row.version} is wrapped by neither the current nor the new key; ` +
            'was another rotation run with a different key?',
        );
      }
      const dataKey = current.unwrap(wrapped, aad);
      rotated += await dataKeys.rewrap(trx, row, row.master_key_id, {
        wrapped_key: next.wrap(dataKey, aad),
        master_key_id: next.id,
        // A fresh wrap under the old key, for services still running on it.
        previous_wrapped_key: current.wrap(dataKey, aad),
        previous_master_key_id: current.id,
        rotated_at: now,
      });
    }
    return { seen: rows.length, rotated };
  });
}

/**
 * Moves the database from `current` to `next`. Throws KeyMismatchError when `current` is not the
 * database's key (and `next` is not either). Returns 'interrupted' if maxBatches stopped it.
 */
export async function rotateMasterKey(
  db: Kysely<Database>,
  current: MasterKey,
  next: MasterKey,
  options: RotationOptions = {},
): Promise<RotationResult> {
  const batchSize = Math.min(Math.max(options.batchSize ?? 500, 1), 10_000);
  const check = await readKeyCheck(db);
  if (!check) {
    throw new MasterKeyError('the database has no key check yet: start the service once first');
  }
  const underNext = keyCheckMatches(next, check);
  if (!underNext && !keyCheckMatches(current, check)) throw new KeyMismatchError();
  const total = await dataKeys.countNotWrappedBy(db, next.id);
  if (underNext && total === 0) {
    await deleteMetaValue(db, ROTATION_META_KEY);
    return { status: 'already_rotated', rotated: 0, batches: 0 };
  }
  if (current.id === next.id) {
    throw new MasterKeyError('the new key is the same as the current key');
  }
  // From here on, services on the old key refuse to mint new data keys (see KeyRing).
  await setMetaValue(
    db,
    ROTATION_META_KEY,
    JSON.stringify({ from: current.id, to: next.id, startedAt: Date.now() }),
  );

  let batches = 0;
  let rotated = 0;
  // Bounded: every batch either rotates rows or ends the loop; the bound covers keys created
  // concurrently before the marker was seen.
  const limit = Math.ceil(total / batchSize) + 100;
  const sweep = async (): Promise<boolean> => {
    for (let i = 0; i < limit; i++) {
      if (options.maxBatches !== undefined && batches >= options.maxBatches) return false;
      const batch = await rotateBatch(db, current, next, batchSize);
      if (batch.seen === 0) return true;
      batches++;
      rotated += batch.rotated;
      options.onBatch?.({ batches, rotated });
      await yieldToLoop();
    }
    throw new MasterKeyError('rotate-key did not converge; run it again');
  };
  if (!(await sweep())) return { status: 'interrupted', rotated, batches };
  // From now on only the new key passes verifyMasterKey.
  await writeKeyCheck(db, next);
  // A key minted by an old-key service just before the check moved is caught here.
  if (!(await sweep())) return { status: 'interrupted', rotated, batches };
  await deleteMetaValue(db, ROTATION_META_KEY);
  return { status: 'rotated', rotated, batches };
}

/**
 * After every service runs on the new key: drops the wraps under the old key, so the old key
 * (perhaps rotated away because it leaked) no longer opens anything. `current` must be the
 * database's key. Returns how many data keys were changed.
 */
export async function forgetPreviousWraps(
  db: Kysely<Database>,
  current: MasterKey,
  batchSize = 1000,
): Promise<number> {
  const check = await readKeyCheck(db);
  if (!check || !keyCheckMatches(current, check)) throw new KeyMismatchError();
  const pending = await getMetaValue(db, ROTATION_META_KEY);
  if (pending !== undefined)
    throw new MasterKeyError('a rotation is still in progress: finish it first');
  let changed = 0;
  for (let i = 0; i < 1_000_000; i++) {
    const rows = await dataKeys.listWithPreviousWrap(db, current.id, batchSize);
    if (rows.length === 0) break;
    await inTransaction(db, async (trx) => {
      for (const row of rows) changed += await dataKeys.forgetPreviousWrap(trx, row);
    });
    await yieldToLoop();
  }
  return changed;
}
