// Fresh, migrated databases for repository tests on both dialects: a temp SQLite file, and on
// MySQL a new `xares_t_<random>` database made from CREDENTIAL_TEST_MYSQL_URL and dropped after.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createConnection } from 'mysql2/promise';
import { KeyRing } from '../../service/crypto/keyring';
import { MasterKey, verifyMasterKey } from '../../service/crypto/masterKey';
import { openStore, type Store } from '../../service/store/database';
import type { DialectName } from '../../service/store/dialect';
import { migrateToLatest } from '../../service/store/migrations';
import { tierSuite } from './tiers';

export interface TestStore extends Store {
  /** The CREDENTIAL_DATABASE_URL of this database, for child processes. */
  databaseUrl: string;
  masterKey: MasterKey;
  /** The master key as CREDENTIAL_ENCRYPTION_KEY for child processes; tests only. */
  masterKeyHex: string;
  keyring: KeyRing;
  /** A temp folder for this store's files (the SQLite file lives in it); removed by destroy(). */
  dir: string;
  /** Environment for a CLI child process using this database and key. */
  env: NodeJS.ProcessEnv;
  /** Closes the store and removes the database (drop on MySQL, the folder on SQLite). */
  destroy(): Promise<void>;
}

export function mysqlTestUrl(): string {
  const url = process.env.CREDENTIAL_TEST_MYSQL_URL;
  if (!url) {
    // Loud on purpose: a mysql-tier run without its server must fail, not pass by skipping.
    throw new Error(
      'CREDENTIAL_TEST_MYSQL_URL is not set: the mysql tier needs a MySQL/MariaDB server ' +
        '(e.g. mysql://xares_test:xares_test@127.0.0.1:3306/xares_test)',
    );
  }
  return url;
}

/** Creates an empty database (no tables) and returns its URL and how to drop it. */
export async function createEmptyDatabase(
  dialect: DialectName,
  dir: string,
): Promise<{ databaseUrl: string; drop(): Promise<void> }> {
  if (dialect === 'sqlite') {
    const file = path.join(dir, `db-${randomBytes(4).toString('hex')}`, 'credentials.db');
    return { databaseUrl: `sqlite:${file}`, drop: async () => undefined };
  }
  const base = new URL(mysqlTestUrl());
  const name = `xares_t_${randomBytes(6).toString('hex')}`;
  const admin = await createConnection({ uri: base.toString(), connectTimeout: 10_000 });
  try {
    await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  } finally {
    await admin.end();
  }
  const url = new URL(base.toString());
  url.pathname = `/${name}`;
  return {
    databaseUrl: url.toString(),
    async drop() {
      const conn = await createConnection({ uri: base.toString(), connectTimeout: 10_000 });
      try {
        await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
      } finally {
        await conn.end();
      }
    },
  };
}

/** A fresh migrated store with a new test master key; call destroy() when done. */
export async function openTestStore(dialect: DialectName): Promise<TestStore> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'xares-store-'));
  const empty = await createEmptyDatabase(dialect, dir);
  let store: Store | undefined;
  try {
    store = await openStore(empty.databaseUrl);
    await migrateToLatest(store.db);
    const masterKey = MasterKey.generate();
    await verifyMasterKey(store.db, masterKey);
    const masterKeyHex = masterKey.exportHex();
    const opened = store;
    return {
      ...opened,
      databaseUrl: empty.databaseUrl,
      masterKey,
      masterKeyHex,
      keyring: KeyRing.forStore(opened, masterKey),
      dir,
      env: {
        ...process.env,
        CREDENTIAL_DATABASE_URL: empty.databaseUrl,
        CREDENTIAL_ENCRYPTION_KEY: masterKeyHex,
        CREDENTIAL_ENCRYPTION_KEY_FILE: '',
      },
      async destroy() {
        await opened.close();
        await empty.drop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await store?.close();
    await empty.drop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/**
 * Declares the same suite for the sqlite and the mysql tier, each with its own fresh database
 * (made in before(), destroyed in after()). `ctx()` gives the current suite's store.
 */
export function forEachDialect(title: string, body: (ctx: () => TestStore) => void): void {
  for (const dialect of ['sqlite', 'mysql'] as const) {
    tierSuite(dialect, title, function () {
      let store: TestStore | undefined;
      before(async function () {
        this.timeout(30_000);
        store = await openTestStore(dialect);
      });
      after(async function () {
        this.timeout(30_000);
        await store?.destroy();
        store = undefined;
      });
      body(() => {
        if (!store) throw new Error(`the ${dialect} test store is not open (used outside a test?)`);
        return store;
      });
    });
  }
}
