// The login limiter reserves an attempt before the password is checked, so it needs attempts that
// are still running (state 'pending') as well as failures, and a row per username and per address
// to lock while it counts (login_limit_locks), so that replicas on one MySQL cannot both take the
// last attempt. Frozen in time: imports only kysely. The old failure counts are not carried over
// (they live 15 minutes).
import { type Kysely, SqliteAdapter, sql } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any */
export async function up(db: Kysely<any>): Promise<void> {
  const mysql = !(db.getExecutor().adapter instanceof SqliteAdapter);
  const createTable = (name: string) =>
    mysql
      ? db.schema
          .createTable(name)
          .modifyEnd(sql.raw(' engine=InnoDB default charset=utf8mb4 collate=utf8mb4_bin'))
      : db.schema.createTable(name);

  await createTable('login_attempts')
    .addColumn('id', mysql ? 'bigint' : 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('username', 'varchar(128)', (c) => c.notNull())
    .addColumn('ip_address', 'varchar(64)', (c) => c.notNull())
    .addColumn('state', 'varchar(8)', (c) => c.notNull())
    .addColumn('attempted_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('idx_login_attempts_username')
    .on('login_attempts')
    .columns(['username', 'attempted_at'])
    .execute();
  await db.schema
    .createIndex('idx_login_attempts_ip')
    .on('login_attempts')
    .columns(['ip_address', 'attempted_at'])
    .execute();
  await db.schema
    .createIndex('idx_login_attempts_time')
    .on('login_attempts')
    .columns(['attempted_at'])
    .execute();

  await createTable('login_limit_locks')
    .addColumn('lock_key', 'varchar(200)', (c) => c.primaryKey())
    .addColumn('touched_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('idx_login_limit_locks_time')
    .on('login_limit_locks')
    .columns(['touched_at'])
    .execute();

  await db.schema.dropTable('login_failures').ifExists().execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('login_limit_locks').ifExists().execute();
  await db.schema.dropTable('login_attempts').ifExists().execute();
}
