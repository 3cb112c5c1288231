// What the maintenance commands (migrate, user, rotate-key, audit, backup, restore) share: open
// the configured database, migrate it, optionally resolve and verify the master key, and turn
// the store's errors into one-line CLI errors.
import { CliError } from '../commands/command';
import { ConfigError, type Config } from '../config';
import { KeyRing } from '../crypto/keyring';
import { type MasterKey, resolveMasterKey, verifyMasterKey } from '../crypto/masterKey';
import { AppError } from '../errors';
import { openStore, StoreOpenError, type Store } from './database';
import { DatabaseUrlError } from './dialect';
import { MigrationError, migrateToLatest } from './migrations';

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

/** Maps what the store throws to a CliError (one line, no stack); other errors pass through. */
export function toCliError(err: unknown): unknown {
  if (err instanceof CliError || err instanceof ConfigError) return err;
  if (
    err instanceof StoreOpenError ||
    err instanceof MigrationError ||
    err instanceof DatabaseUrlError
  ) {
    return new CliError(err.message);
  }
  if (err instanceof AppError) return new CliError(err.message);
  return err;
}

/** Runs a command body with the store's errors mapped for the CLI. */
export async function cliGuard<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    throw toCliError(err);
  }
}
