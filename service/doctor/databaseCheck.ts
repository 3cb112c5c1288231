// Checks the database is reachable and its schema current, without creating or changing
// anything: a missing SQLite file is reported, not made, and migrations are only listed.
import { existsSync } from 'node:fs';
import { sql } from 'kysely';
import type { Config } from '../config';
import { openStore, type Store } from '../store/database';
import { parseDatabaseUrl } from '../store/dialect';
import { appliedMigrationCount, pendingMigrations } from '../store/migrations';
import { redactDatabaseUrl } from './redact';
import { describeError, withTimeout } from './timeout';
import { type CheckResult, PROBE_TIMEOUT_MS } from './types';

export interface DatabaseProbe {
  result: CheckResult;
  /** The open store when the database answered; the caller closes it. */
  store?: Store;
}

/** openStore wraps the driver's error (StoreOpenError); the driver's own has the code. */
function driverError(err: unknown): unknown {
  const cause = (err as { cause?: unknown } | null)?.cause;
  return err instanceof Error && err.name === 'StoreOpenError' && cause ? cause : err;
}

function fixFor(err: unknown, dialect: 'sqlite' | 'mysql', database: string): string {
  const code = (driverError(err) as { code?: unknown } | null)?.code;
  if (code === 'ER_ACCESS_DENIED_ERROR' || code === 'ER_DBACCESS_DENIED_ERROR') {
    return 'correct the user and password in CREDENTIAL_DATABASE_URL, or grant that user access';
  }
  if (code === 'ER_BAD_DB_ERROR') {
    return `create the database (CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4) or correct its name in CREDENTIAL_DATABASE_URL`;
  }
  if (dialect === 'sqlite') {
    return 'make the SQLite file and its folder readable and writable by the service user';
  }
  return 'start MySQL, or correct the host, port, user and password in CREDENTIAL_DATABASE_URL';
}

export async function checkDatabase(config: Config): Promise<DatabaseProbe> {
  const target = parseDatabaseUrl(config.databaseUrl);
  const shown = redactDatabaseUrl(config.databaseUrl);
  if (target.dialect === 'sqlite' && !existsSync(target.file)) {
    return {
      result: {
        name: 'database',
        status: 'warn',
        message: `the SQLite file ${target.file} does not exist yet`,
        fix: 'run `xares-credentials migrate` (or start the service) to create it',
      },
    };
  }
  const database = target.dialect === 'sqlite' ? target.file : target.database;
  let store: Store | undefined;
  try {
    const opening = openStore(config.databaseUrl);
    try {
      store = await withTimeout(opening, PROBE_TIMEOUT_MS, `the database at ${shown}`);
    } catch (err) {
      // A connection that succeeds after the deadline must still be closed, or its pool would
      // keep this process alive.
      void opening.then((late) => late.close()).catch(() => undefined);
      throw err;
    }
    const db = store.db;
    await withTimeout(sql`select 1`.execute(db), PROBE_TIMEOUT_MS, `the database at ${shown}`);
    const pending = await withTimeout(
      pendingMigrations(db),
      PROBE_TIMEOUT_MS,
      `the database at ${shown}`,
    );
    const applied = await appliedMigrationCount(db);
    if (pending.length && applied === 0) {
      return {
        store,
        result: {
          name: 'database',
          status: 'warn',
          message: `${shown} answers but has no schema yet`,
          fix: 'nothing to do if the service is about to start (serve migrates at start); else run `xares-credentials migrate`',
        },
      };
    }
    if (pending.length) {
      return {
        store,
        result: {
          name: 'database',
          // The service migrates at start, so an older schema only means it has not restarted
          // since an upgrade; worth knowing, not a failure.
          status: 'warn',
          message: `${shown} answers but its schema is behind: ${pending.length} migration(s) pending (${pending.join(', ')})`,
          fix: 'back up, then run `xares-credentials migrate` or restart the service',
        },
      };
    }
    return {
      store,
      result: {
        name: 'database',
        status: 'ok',
        message: `${shown} answers; schema current (${applied} migration(s) applied)`,
      },
    };
  } catch (err) {
    await store?.close().catch(() => undefined);
    return {
      result: {
        name: 'database',
        status: 'fail',
        message: `cannot use the database ${shown}: ${describeError(driverError(err))}`,
        fix: fixFor(err, target.dialect, database),
      },
    };
  }
}
