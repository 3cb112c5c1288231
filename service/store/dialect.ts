// Everything that differs between SQLite and MySQL/MariaDB, in one place: connecting, column
// types for migrations, unique-violation detection and row locks. Other modules ask this one.
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  MysqlDialect,
  type SelectQueryBuilder,
  SqliteAdapter,
  SqliteDialect,
} from 'kysely';
import { createPool } from 'mysql2';
import { isRetryable, RetryingDriver } from './retry';

export type DialectName = 'sqlite' | 'mysql';

/** A parsed CREDENTIAL_DATABASE_URL. */
export type DatabaseTarget =
  { dialect: 'sqlite'; file: string } | { dialect: 'mysql'; url: string; database: string };

/** How long a statement waits for a lock held by another process or connection. */
export const LOCK_WAIT_MS = 5000;

export class DatabaseUrlError extends Error {
  override name = 'DatabaseUrlError';
}

/** `sqlite:PATH` (relative to the working directory, or `sqlite:///abs`) or `mysql://...`. */
export function parseDatabaseUrl(databaseUrl: string): DatabaseTarget {
  if (databaseUrl.startsWith('sqlite:')) {
    let file = databaseUrl.slice('sqlite:'.length);
    if (file.startsWith('//')) file = file.slice(2);
    if (!file || file === ':memory:') {
      // A memory database would lose every secret on restart and has no folder for the key file.
      throw new DatabaseUrlError('CREDENTIAL_DATABASE_URL must name a SQLite file (sqlite:PATH)');
    }
    return { dialect: 'sqlite', file: path.resolve(file) };
  }
  if (databaseUrl.startsWith('mysql://')) {
    let parsed: URL;
    try {
      parsed = new URL(databaseUrl);
    } catch {
      throw new DatabaseUrlError('CREDENTIAL_DATABASE_URL is not a valid mysql:// URL');
    }
    const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
    if (!database) {
      throw new DatabaseUrlError(
        'CREDENTIAL_DATABASE_URL must name a database: mysql://user:pass@host:3306/DB',
      );
    }
    return { dialect: 'mysql', url: databaseUrl, database };
  }
  throw new DatabaseUrlError('CREDENTIAL_DATABASE_URL must start with sqlite: or mysql://');
}

const STATEMENT_CACHE_SIZE = 200;

/**
 * Kysely prepares every query anew, and compiling the SQL is most of a small query's cost; the
 * service runs the same few statements over and over. Kysely uses the one connection for one
 * query at a time (a stream holds it until done), so reusing a prepared statement is safe.
 */
function cachePreparedStatements(db: BetterSqlite3.Database): void {
  const prepare = db.prepare.bind(db);
  const cache = new Map<string, BetterSqlite3.Statement>();
  db.prepare = ((source: string) => {
    let statement = cache.get(source);
    if (!statement) {
      statement = prepare(source);
      if (cache.size >= STATEMENT_CACHE_SIZE) {
        const oldest = cache.keys().next().value;
        if (oldest !== undefined) cache.delete(oldest);
      }
      cache.set(source, statement);
    }
    return statement;
  }) as BetterSqlite3.Database['prepare'];
}

/** The Kysely dialect for a target, plus what closing it needs beyond Kysely's destroy(). */
export function createKyselyDialect(target: DatabaseTarget): Dialect {
  if (target.dialect === 'sqlite') {
    mkdirSync(path.dirname(target.file), { recursive: true, mode: 0o700 });
    return new SqliteDialect({
      database: async () => {
        const isNew = !existsSync(target.file);
        const db = new BetterSqlite3(target.file, { timeout: LOCK_WAIT_MS });
        // The file holds wrapped keys and ciphertexts: nobody else needs to read it.
        if (isNew) chmodSync(target.file, 0o600);
        // WAL lets readers (a running service) go on while rotate-key or backup work in another
        // process; foreign keys are off by default in SQLite.
        db.pragma('journal_mode = WAL');
        db.pragma('foreign_keys = ON');
        db.pragma(`busy_timeout = ${LOCK_WAIT_MS}`);
        db.pragma('synchronous = NORMAL');
        cachePreparedStatements(db);
        return db;
      },
    });
  }
  return new RetryingMysqlDialect({
    pool: async () =>
      createPool({
        uri: target.url,
        connectionLimit: 10,
        connectTimeout: 10_000,
        // Times are epoch-ms BIGINTs, so no stored value depends on a time zone; 'Z' keeps any
        // DATETIME the driver converts in UTC too.
        timezone: 'Z',
        charset: 'utf8mb4',
        supportBigNumbers: true,
        bigNumberStrings: false,
        // Queries are built by Kysely with parameters; never let a string become several statements.
        multipleStatements: false,
      }),
    // The session zone too, so NOW()-style server values in ad-hoc queries are UTC as well.
    onCreateConnection: async (connection) => {
      await connection.executeQuery(CompiledQuery.raw("SET time_zone = '+00:00'"));
      await readYourWritesOnGalera(connection);
    },
  });
}

/** MySQL's dialect with statements outside transactions retried after transient conflicts. */
class RetryingMysqlDialect extends MysqlDialect {
  override createDriver(): Driver {
    return new RetryingDriver(super.createDriver());
  }
}

/**
 * On a Galera node, a read waits until the node has applied every write the cluster committed
 * before it (wsrep_sync_wait = 1): replicas on different nodes then read their own and each
 * other's writes, which sessions and the login limiter need. Elsewhere nothing changes (MySQL has
 * no such variable; a MariaDB without Galera says OFF).
 */
async function readYourWritesOnGalera(connection: DatabaseConnection): Promise<void> {
  let on = false;
  try {
    const { rows } = await connection.executeQuery<{ on: unknown }>(
      CompiledQuery.raw('SELECT @@wsrep_on AS `on`'),
    );
    on = String(rows[0]?.on) === '1' || String(rows[0]?.on).toUpperCase() === 'ON';
  } catch {
    return;
  }
  if (on) await connection.executeQuery(CompiledQuery.raw('SET SESSION wsrep_sync_wait = 1'));
}

/** Which dialect a Kysely instance talks to (migrations only get `Kysely<any>`). */
export function dialectOf<DB>(db: Kysely<DB>): DialectName {
  return db.getExecutor().adapter instanceof SqliteAdapter ? 'sqlite' : 'mysql';
}

/** Column types for migrations: MySQL indexes need bounded VARCHARs; big values go to TEXT. */
export const columnTypes = {
  /** A uuid or a similar short identifier. */
  id: 'varchar(36)',
  /** An indexed short string (names, enums, providers). */
  short: (length: number) => `varchar(${length})` as const,
  /** Unindexed free text of any size (ciphertexts, manifests, user agents). */
  text: 'text',
  /** Epoch milliseconds and counters. */
  bigint: 'bigint',
  int: 'integer',
} as const;

/** The type of an auto-increment primary key: SQLite allows AUTOINCREMENT only on INTEGER. */
export function autoIncrementType(dialect: DialectName): 'integer' | 'bigint' {
  return dialect === 'sqlite' ? 'integer' : 'bigint';
}

/** True when an error is a violated UNIQUE or PRIMARY KEY constraint, on either dialect. */
export function isUniqueViolation(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { code, errno } = err as { code?: unknown; errno?: unknown };
  return (
    code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    code === 'ER_DUP_ENTRY' ||
    errno === 1062
  );
}

/**
 * True when an error says the database could not be reached or is locked, on either dialect,
 * or a transient conflict (deadlock, Galera node not synced) outlived its retries: the request
 * answers 503 and may be sent again.
 */
export function isUnavailable(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { code } = err as { code?: unknown };
  return (
    (typeof code === 'string' &&
      [
        'SQLITE_BUSY',
        'SQLITE_LOCKED',
        'SQLITE_CANTOPEN',
        'ECONNREFUSED',
        'ECONNRESET',
        'ETIMEDOUT',
        'PROTOCOL_CONNECTION_LOST',
        'ER_LOCK_WAIT_TIMEOUT',
      ].includes(code)) ||
    // mysql2 marks the errors after which a connection is unusable (lost, reset, closed: a node
    // that went down) as fatal; some carry no code ("Can't add new command when connection is
    // in closed state").
    (err as { fatal?: unknown }).fatal === true ||
    isRetryable(err)
  );
}

/**
 * Locks the selected rows until the transaction ends. MySQL needs FOR UPDATE; SQLite has no row
 * locks, but its single writer means a transaction that read stale rows cannot commit a write.
 */
export function forUpdate<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  dialect: DialectName,
): SelectQueryBuilder<DB, TB, O> {
  return dialect === 'mysql' ? query.forUpdate() : query;
}
