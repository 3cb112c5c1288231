// Opens the service's database from CREDENTIAL_DATABASE_URL: embedded SQLite (WAL, foreign keys,
// busy timeout) or a MySQL/MariaDB pool. Callers get one Kysely<Database> either way.
import { Kysely, sql, type Transaction } from 'kysely';
import { createKyselyDialect, type DialectName, parseDatabaseUrl } from './dialect';
import type { Database } from './schema';

export interface Store {
  db: Kysely<Database>;
  dialect: DialectName;
  /** The SQLite file (absolute), for the key file next to it and for backups; undefined on MySQL. */
  sqliteFile: string | undefined;
  close(): Promise<void>;
}

/** What repository functions take: the database or a transaction on it. */
export type Executor = Kysely<Database> | Transaction<Database>;

export class StoreOpenError extends Error {
  override name = 'StoreOpenError';
}

/** Opens (and for SQLite creates) the database; it is not migrated here, see migrateToLatest. */
export async function openStore(databaseUrl: string): Promise<Store> {
  const target = parseDatabaseUrl(databaseUrl);
  const db = new Kysely<Database>({ dialect: createKyselyDialect(target) });
  try {
    // Connect now, so a wrong URL or a stopped server fails at start-up rather than on first use.
    await sql`select 1`.execute(db);
  } catch (err) {
    await db.destroy().catch(() => undefined);
    const reason = err instanceof Error ? err.message : String(err);
    throw new StoreOpenError(`cannot open the ${target.dialect} database: ${reason}`, {
      cause: err,
    });
  }
  let closed = false;
  return {
    db,
    dialect: target.dialect,
    sqliteFile: target.dialect === 'sqlite' ? target.file : undefined,
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy();
    },
  };
}
