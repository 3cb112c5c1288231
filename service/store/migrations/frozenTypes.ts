// Column types and the dialect test for migrations 0001 and 0002, as they were when those were
// written. Never edit this file: a migration that ran on a database must create the same tables
// on the next one, whatever the live code (store/dialect.ts) says by then. Later migrations
// write their types inline. Imports only kysely.
import { type Kysely, SqliteAdapter } from 'kysely';

export type FrozenDialect = 'sqlite' | 'mysql';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations take Kysely<any> (Kysely's guidance)
export function frozenDialectOf(db: Kysely<any>): FrozenDialect {
  return db.getExecutor().adapter instanceof SqliteAdapter ? 'sqlite' : 'mysql';
}

/** MySQL indexes need bounded VARCHARs; big values go to TEXT. */
export const frozenColumnTypes = {
  id: 'varchar(36)',
  short: (length: number) => `varchar(${length})` as const,
  text: 'text',
  bigint: 'bigint',
  int: 'integer',
} as const;

/** SQLite allows AUTOINCREMENT only on INTEGER. */
export function frozenAutoIncrementType(dialect: FrozenDialect): 'integer' | 'bigint' {
  return dialect === 'sqlite' ? 'integer' : 'bigint';
}
