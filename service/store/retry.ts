// Statements and transactions that meet a transient conflict run again instead of failing the
// request. On MySQL/MariaDB that is a deadlock (1213, which is also how Galera answers a
// certification conflict at commit), a lock wait time-out (1205), or a Galera node that is not
// yet synced (1047). A single statement outside a transaction is retried inside the driver, so
// every repository function gets it; a transaction is retried whole by `inTransaction`, since
// only its body can be replayed.
import type {
  DatabaseConnection,
  Driver,
  Kysely,
  QueryResult,
  Transaction,
  TransactionSettings,
  CompiledQuery,
} from 'kysely';

const RETRYABLE_ERRNOS = new Set([1213, 1205, 1047]);
export const MAX_ATTEMPTS = 6;

/** True for an error after which the same statement or transaction may simply run again. */
export function isRetryable(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { errno } = err as { errno?: unknown };
  return typeof errno === 'number' && RETRYABLE_ERRNOS.has(errno);
}

/** 10, 20, 40 ... ms with jitter, so that conflicting writers do not meet again in step. */
function backoff(attempt: number): Promise<void> {
  const ms = 10 * 2 ** attempt * (0.5 + Math.random());
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs `work`, again after a transient conflict, up to MAX_ATTEMPTS times. */
export async function retrying<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      if (!isRetryable(err) || attempt + 1 >= MAX_ATTEMPTS) throw err;
      await backoff(attempt);
    }
  }
}

/**
 * A transaction that is run again, whole, after a transient conflict (a Galera certification
 * failure surfaces only at commit). `body` must do nothing but database work through `trx`, so
 * that running it twice is the same as running it once.
 */
export function inTransaction<DB, T>(
  db: Kysely<DB>,
  body: (trx: Transaction<DB>) => Promise<T>,
): Promise<T> {
  return retrying(() => db.transaction().execute(body));
}

/** A connection that retries statements run outside a transaction. */
class RetryingConnection implements DatabaseConnection {
  inTransaction = false;

  constructor(readonly inner: DatabaseConnection) {}

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    if (this.inTransaction) return this.inner.executeQuery<R>(query);
    return retrying(() => this.inner.executeQuery<R>(query));
  }

  streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    return this.inner.streamQuery<R>(query, chunkSize);
  }
}

/** Wraps a MySQL driver so that its connections retry statements outside transactions. */
export class RetryingDriver implements Driver {
  private readonly wrapped = new WeakMap<DatabaseConnection, RetryingConnection>();

  constructor(private readonly inner: Driver) {}

  init(): Promise<void> {
    return this.inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const raw = await this.inner.acquireConnection();
    let conn = this.wrapped.get(raw);
    if (!conn) this.wrapped.set(raw, (conn = new RetryingConnection(raw)));
    return conn;
  }

  private unwrap(connection: DatabaseConnection): RetryingConnection {
    return connection as RetryingConnection;
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings) {
    const c = this.unwrap(connection);
    c.inTransaction = true;
    try {
      await this.inner.beginTransaction(c.inner, settings);
    } catch (err) {
      c.inTransaction = false;
      throw err;
    }
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const c = this.unwrap(connection);
    try {
      await this.inner.commitTransaction(c.inner);
    } finally {
      c.inTransaction = false;
    }
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    const c = this.unwrap(connection);
    try {
      await this.inner.rollbackTransaction(c.inner);
    } finally {
      c.inTransaction = false;
    }
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.inner.releaseConnection(this.unwrap(connection).inner);
  }

  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}
