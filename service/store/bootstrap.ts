// What the maintenance commands (migrate, user, rotate-key, audit, backup, restore) share: open
// the configured database, migrate it, optionally resolve and verify the master key. The CLI
// turns what it throws into one-line errors (commands/command.ts).
import type { Config } from '../config';
import { KeyRing } from '../crypto/keyring';
import { type MasterKey, resolveMasterKey, verifyMasterKey } from '../crypto/masterKey';
import { openStore, type Store } from './database';
import { migrateToLatest } from './migrations';

export interface OpenedStore {
  store: Store;
  /** Migrations applied by this open. */
  applied: string[];
}

export interface OpenedStoreWithKey extends OpenedStore {
  masterKey: MasterKey;
  keyring: KeyRing;
  /** Set when a key file was generated now (embedded SQLite default): tell the operator. */
  createdKeyFile: string | undefined;
  keySource: string;
  keyFile: string | undefined;
}

/** Opens and migrates the configured database. */
export async function openConfiguredStore(config: Config): Promise<OpenedStore> {
  const store = await openStore(config.databaseUrl);
  try {
    return { store, applied: await migrateToLatest(store.db) };
  } catch (err) {
    await store.close();
    throw err;
  }
}

/** Opens, migrates, and checks the master key against the database's key check. */
export async function openConfiguredStoreWithKey(config: Config): Promise<OpenedStoreWithKey> {
  // Resolve the key before touching the database, so a malformed key fails fast.
  const resolved = resolveMasterKey(config);
  const opened = await openConfiguredStore(config);
  try {
    await verifyMasterKey(opened.store.db, resolved.key);
  } catch (err) {
    await opened.store.close();
    throw err;
  }
  return {
    ...opened,
    masterKey: resolved.key,
    keyring: KeyRing.forStore(opened.store, resolved.key),
    createdKeyFile: resolved.createdFile,
    keySource: resolved.source,
    keyFile: resolved.file,
  };
}
