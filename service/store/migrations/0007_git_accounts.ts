// Git accounts: several tokens per provider told apart by a repository path prefix, tokens from
// an OAuth sign-in (with their refresh token, encrypted like every secret, and a version column
// so that only one replica at a time spends a refresh token), the device sign-ins in progress,
// commit signing as a user setting, and what an SSH key was registered for.
// Frozen: it imports only kysely, so later changes to the application never change it.
import { type Kysely, sql, SqliteAdapter } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any */
export async function up(db: Kysely<any>): Promise<void> {
  const mysql = !(db.getExecutor().adapter instanceof SqliteAdapter);
  // SQLite takes one column per ALTER TABLE.
  const add = async (
    table: string,
    column: string,
    type:
      | 'varchar(16)'
      | 'varchar(32)'
      | 'varchar(128)'
      | 'varchar(255)'
      | 'text'
      | 'bigint'
      | 'integer',
    notNullDefault?: string | number,
  ) => {
    await db.schema
      .alterTable(table)
      .addColumn(column, sql.raw(type), (c) =>
        notNullDefault === undefined ? c : c.notNull().defaultTo(notNullDefault),
      )
      .execute();
  };

  await add('credentials', 'path_prefix', 'varchar(255)');
  await add('credentials', 'source', 'varchar(16)', 'pasted');
  await add('credentials', 'refresh_ciphertext', 'text');
  await add('credentials', 'refresh_iv', 'varchar(32)');
  await add('credentials', 'refresh_tag', 'varchar(32)');
  await add('credentials', 'refresh_data_key_version', 'integer');
  await add('credentials', 'refresh_expires_at', 'bigint');
  await add('credentials', 'refresh_failed_at', 'bigint');
  await add('credentials', 'oauth_version', 'integer', 0);

  await add('user_settings', 'commit_signing', 'integer', 0);

  await add('ssh_key_registrations', 'usage', 'varchar(16)');
  await add('ssh_key_registrations', 'signing_remote_id', 'varchar(128)');

  let flows = db.schema.createTable('oauth_flows');
  if (mysql) {
    flows = flows.modifyEnd(sql.raw(' engine=InnoDB default charset=utf8mb4 collate=utf8mb4_bin'));
  }
  await flows
    .addColumn('id', sql.raw('varchar(36)'), (c) => c.primaryKey())
    .addColumn('user_id', sql.raw('varchar(36)'), (c) =>
      c.notNull().references('users.id').onDelete('cascade'),
    )
    .addColumn('provider', sql.raw('varchar(16)'), (c) => c.notNull())
    .addColumn('name', sql.raw('varchar(100)'), (c) => c.notNull())
    // The device code lets whoever holds it collect the token: encrypted like a secret.
    .addColumn('device_code_ciphertext', sql.raw('text'), (c) => c.notNull())
    .addColumn('device_code_iv', sql.raw('varchar(32)'), (c) => c.notNull())
    .addColumn('device_code_tag', sql.raw('varchar(32)'), (c) => c.notNull())
    .addColumn('data_key_version', sql.raw('integer'), (c) => c.notNull())
    .addColumn('interval_seconds', sql.raw('integer'), (c) => c.notNull())
    .addColumn('next_poll_at', sql.raw('bigint'), (c) => c.notNull())
    .addColumn('expires_at', sql.raw('bigint'), (c) => c.notNull())
    .addColumn('status', sql.raw('varchar(16)'), (c) => c.notNull())
    .addColumn('detail', sql.raw('text'))
    .addColumn('credential_id', sql.raw('varchar(36)'))
    .addColumn('version', sql.raw('integer'), (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', sql.raw('bigint'), (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('idx_oauth_flows_user')
    .on('oauth_flows')
    .columns(['user_id', 'created_at'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('oauth_flows').ifExists().execute();
  for (const [table, column] of [
    ['ssh_key_registrations', 'signing_remote_id'],
    ['ssh_key_registrations', 'usage'],
    ['user_settings', 'commit_signing'],
    ['credentials', 'oauth_version'],
    ['credentials', 'refresh_failed_at'],
    ['credentials', 'refresh_expires_at'],
    ['credentials', 'refresh_data_key_version'],
    ['credentials', 'refresh_tag'],
    ['credentials', 'refresh_iv'],
    ['credentials', 'refresh_ciphertext'],
    ['credentials', 'source'],
    ['credentials', 'path_prefix'],
  ] as const) {
    await db.schema.alterTable(table).dropColumn(column).execute();
  }
}
