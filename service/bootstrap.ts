// Start-up wiring, in one place for `serve` (server.ts) and the maintenance commands (migrate,
// user, rotate-key, audit, ai, backup, restore): open the configured database, migrate it,
// resolve and verify the master key, make the key ring, bind old secrets, name the Docker
// engines. It sits above the store and crypto; the CLI turns what it throws into one-line
// errors (commands/command.ts).
import type { Config } from './config';
import { KeyRing } from './crypto/keyring';
import { type MasterKey, resolveMasterKey, verifyMasterKey } from './crypto/masterKey';
import { upgradeSecretBindings } from './crypto/secrets';
import type { Logger } from './logger';
import { openStore, type Store } from './store/database';
import { migrateToLatest } from './store/migrations';
import { createDockerHosts, type DockerHost } from './workspaces/hosts';

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

/** What the running service starts from: the store under its key, and the Docker engines. */
export interface ServiceCore extends OpenedStoreWithKey {
  docker: DockerHost[];
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

/**
 * Opens, migrates, and checks the master key against the database's key check. With a logger
 * (serve), the migrations applied and a newly created key file are logged before the check.
 */
export async function openConfiguredStoreWithKey(
  config: Config,
  logger?: Logger,
): Promise<OpenedStoreWithKey> {
  // Resolve the key before touching the database, so a malformed key fails fast.
  const resolved = resolveMasterKey(config);
  const opened = await openConfiguredStore(config);
  try {
    if (logger && opened.applied.length > 0) {
      logger.info({ migrations: opened.applied }, 'database migrated');
    }
    if (logger && resolved.createdFile) {
      logger.warn(
        { keyFile: resolved.createdFile },
        'created a new master key file next to the database: back it up, without it the stored secrets cannot be read',
      );
    }
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

/**
 * Everything `serve` needs before it listens: the store under its key, old secrets bound to
 * their records, and the configured Docker engines (not yet asked whether they answer). The
 * caller closes the store; on a failure here it is closed already.
 */
export async function openServiceCore(config: Config, logger: Logger): Promise<ServiceCore> {
  const opened = await openConfiguredStoreWithKey(config, logger);
  try {
    // Secrets sealed before their details were bound (migration 0005) are sealed again now,
    // with the key a migration does not have; first use does the same for any row missed.
    const bindings = await upgradeSecretBindings(opened.store.db, opened.keyring);
    if (bindings.upgraded > 0 || bindings.failed > 0) {
      logger[bindings.failed > 0 ? 'warn' : 'info'](
        bindings,
        bindings.failed > 0
          ? 'some stored secrets do not match their records and were left alone: they cannot be used until saved again'
          : 'stored secrets bound to their records',
      );
    }
    return { ...opened, docker: createDockerHosts(config) };
  } catch (err) {
    await opened.store.close();
    throw err;
  }
}
