// The AI gateway: each user's choice of how AI keys reach a workspace (`ai_key_delivery`,
// 'gateway' by default), and one row per gateway call for the usage report. Frozen: imports
// nothing of the app, so later changes to live code never change what this creates.
import { type Kysely, MysqlAdapter, sql } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('user_settings')
    .addColumn('ai_key_delivery', 'varchar(16)', (c) => c.notNull().defaultTo('gateway'))
    .execute();

  let table = db.schema.createTable('ai_usage');
  if (db.getExecutor().adapter instanceof MysqlAdapter) {
    table = table.modifyEnd(sql.raw(' engine=InnoDB default charset=utf8mb4 collate=utf8mb4_bin'));
  }
  await table
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('user_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('workspace_id', 'varchar(128)')
    .addColumn('credential_id', 'varchar(36)')
    .addColumn('provider', 'varchar(16)', (c) => c.notNull())
    .addColumn('name', 'varchar(100)')
    .addColumn('model', 'varchar(200)')
    .addColumn('status', 'integer', (c) => c.notNull())
    .addColumn('input_tokens', 'bigint')
    .addColumn('output_tokens', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('idx_ai_usage_user_time')
    .on('ai_usage')
    .columns(['user_id', 'created_at'])
    .execute();
  await db.schema.createIndex('idx_ai_usage_time').on('ai_usage').columns(['created_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('ai_usage').ifExists().execute();
  await db.schema.alterTable('user_settings').dropColumn('ai_key_delivery').execute();
}
