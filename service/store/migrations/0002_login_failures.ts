// Failed sign-ins in their own table: the limiter must work even when audit rows are purged, and
// replicas of the service share it through the database.
import { type Kysely, sql } from 'kysely';
import {
  frozenAutoIncrementType as autoIncrementType,
  frozenColumnTypes as t,
  frozenDialectOf as dialectOf,
} from './frozenTypes';

/* eslint-disable @typescript-eslint/no-explicit-any */
export async function up(db: Kysely<any>): Promise<void> {
  const dialect = dialectOf(db);
  let table = db.schema.createTable('login_failures');
  if (dialect === 'mysql') {
    table = table.modifyEnd(sql.raw(' engine=InnoDB default charset=utf8mb4 collate=utf8mb4_bin'));
  }
  await table
    .addColumn('id', autoIncrementType(dialect), (c) => c.primaryKey().autoIncrement())
    .addColumn('username', t.short(128), (c) => c.notNull())
    .addColumn('ip_address', t.short(64))
    .addColumn('failed_at', t.bigint, (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('idx_login_failures_username')
    .on('login_failures')
    .columns(['username', 'failed_at'])
    .execute();
  await db.schema
    .createIndex('idx_login_failures_ip')
    .on('login_failures')
    .columns(['ip_address', 'failed_at'])
    .execute();
  await db.schema
    .createIndex('idx_login_failures_time')
    .on('login_failures')
    .columns(['failed_at'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('login_failures').ifExists().execute();
}
