// Logical backup and restore: JSON lines (a header with the format version and the master key
// check, then one line per row, table by table, then a trailer with counts and a MAC). Secrets
// stay encrypted and data keys stay wrapped, so a backup is useless without the master key.
// Works across dialects: a SQLite backup restores into MySQL and back.
//
// The MAC (HMAC-SHA256 under a key derived from the master key) covers every line in order, so a
// backup edited after it was made (a row changed, removed, reordered or added, a user made
// admin, a token's URL moved) is refused as a whole, and nothing of it is restored. Sessions
// are left out: a restore revives no token.
import { createHmac, type Hmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, renameSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { ConfigError } from '../config';
import type { Store } from './database';
import type { Database } from './schema';
import { inTransaction } from './retry';
import { type KeyCheck, readKeyCheck } from './serviceMeta';

export const BACKUP_FORMAT = 'xares-credentials-backup';
/** 2: authenticated by a MAC, no sessions. 1 (unauthenticated) is read only when asked to. */
export const BACKUP_VERSION = 2;
const UNAUTHENTICATED_VERSION = 1;
const MAC_PURPOSE = 'backup-mac';

/** Tables in foreign-key order, with the columns a backup carries and the order rows go in. */
const TABLES = {
  service_meta: { columns: ['key', 'value', 'updated_at'], orderBy: ['key'] },
  users: {
    columns: ['id', 'username', 'password_hash', 'role', 'disabled', 'created_at', 'updated_at'],
    orderBy: ['id'],
  },
  user_settings: {
    columns: [
      'user_id',
      'auto_inject',
      'audit_logging',
      'clear_on_session_timeout',
      'ai_key_delivery',
      'updated_at',
      'commit_signing',
    ],
    orderBy: ['user_id'],
  },
  data_keys: {
    columns: [
      'user_id',
      'version',
      'wrapped_key',
      'master_key_id',
      'previous_wrapped_key',
      'previous_master_key_id',
      'created_at',
      'rotated_at',
    ],
    orderBy: ['user_id', 'version'],
  },
  credentials: {
    columns: [
      'id',
      'user_id',
      'type',
      'provider',
      'name',
      'username',
      'url',
      'env_var',
      'hint',
      'public_key',
      'fingerprint',
      'secret_ciphertext',
      'secret_iv',
      'secret_tag',
      'data_key_version',
      'secret_aad_version',
      'expires_at',
      'created_at',
      'updated_at',
      'last_used_at',
      'last_test_status',
      'last_test_detail',
      'last_test_at',
      'path_prefix',
      'source',
      'refresh_ciphertext',
      'refresh_iv',
      'refresh_tag',
      'refresh_data_key_version',
      'refresh_expires_at',
      'refresh_failed_at',
      'oauth_version',
    ],
    orderBy: ['id'],
  },
  ssh_key_registrations: {
    columns: [
      'credential_id',
      'provider',
      'status',
      'detail',
      'remote_id',
      'checked_at',
      'usage',
      'signing_remote_id',
    ],
    orderBy: ['credential_id', 'provider'],
  },
  workspace_injections: {
    columns: [
      'id',
      'user_id',
      'workspace_id',
      'workspace_name',
      'session_id',
      'manifest',
      'injected_at',
      'cleared_at',
      'docker_host',
    ],
    orderBy: ['id'],
  },
  ai_usage: {
    columns: [
      'id',
      'user_id',
      'workspace_id',
      'credential_id',
      'provider',
      'name',
      'model',
      'status',
      'input_tokens',
      'output_tokens',
      'created_at',
    ],
    orderBy: ['id'],
  },
  audit_log: {
    columns: [
      'id',
      'user_id',
      'username',
      'action',
      'outcome',
      'credential_id',
      'credential_type',
      'provider',
      'name',
      'workspace_id',
      'ip_address',
      'user_agent',
      'detail',
      'timestamp',
    ],
    orderBy: ['id'],
  },
} as const satisfies Record<string, { columns: readonly string[]; orderBy: readonly string[] }>;

type BackupTable = keyof typeof TABLES;
const TABLE_NAMES = Object.keys(TABLES) as BackupTable[];

type Cell = string | number | null;
type Row = Record<string, Cell>;
/** An untyped view of the database for table-generic copying; rows are checked against TABLES. */
type RowDatabase = Record<string, Row>;

const HeaderSchema = z.object({
  format: z.literal(BACKUP_FORMAT),
  version: z.number().int(),
  createdAt: z.string(),
  sourceDialect: z.enum(['sqlite', 'mysql']),
  keyCheck: z.object({ keyId: z.string(), check: z.string() }),
  tables: z.array(z.string()),
});
const CellSchema = z.union([z.string(), z.number(), z.null()]);
const RowLineSchema = z.object({ t: z.string(), r: z.record(z.string(), CellSchema) });
const TrailerSchema = z.object({
  end: z.literal(true),
  counts: z.record(z.string(), z.number()),
  mac: z.string().optional(),
});

/**
 * What a backup needs of the master key (service/crypto/masterKey.ts's MasterKey): a MAC key
 * derived from it, and whether it is the key a key check was made with.
 */
export interface BackupKey {
  deriveKey(purpose: string): Buffer;
  matchesKeyCheck(check: KeyCheck): boolean;
}

/** The MAC over the lines of a backup, fed line by line as written or read. */
function backupMac(masterKey: BackupKey): Hmac {
  return createHmac('sha256', masterKey.deriveKey(MAC_PURPOSE));
}

/** The trailer's own text as the MAC covers it (everything but the MAC). */
function trailerText(counts: Record<string, number>): string {
  return JSON.stringify({ end: true, counts });
}

const ALTERED_MESSAGE =
  'the backup was altered after it was made (its authentication code does not match); nothing was restored';

export class BackupError extends Error {
  override name = 'BackupError';
}

export class BackupKeyMismatchError extends ConfigError {
  override name = 'BackupKeyMismatchError';
  constructor() {
    super('the encryption key does not match the one the backup was made with');
  }
}

const PAGE = 1000;

/**
 * Writes a consistent backup of the store to `file` (mode 0600), authenticated under
 * `masterKey` (the key the database is under); refuses to overwrite.
 */
export async function writeBackup(
  store: Store,
  file: string,
  masterKey: BackupKey,
): Promise<Record<string, number>> {
  if (existsSync(file)) throw new BackupError(`${file} already exists; choose a new file name`);
  const tmp = `${file}.partial-${randomBytes(4).toString('hex')}`;
  const out = createWriteStream(tmp, { flags: 'wx', mode: 0o600 });
  const mac = backupMac(masterKey);
  const writeText = async (text: string) => {
    if (!out.write(text + '\n')) await once(out, 'drain');
  };
  const write = async (line: unknown) => {
    const text = JSON.stringify(line);
    mac.update(text + '\n');
    await writeText(text);
  };
  const counts: Record<string, number> = {};
  try {
    await once(out, 'open');
    // One read transaction: every table is read from the same snapshot (WAL on SQLite,
    // repeatable read on InnoDB), so the backup is consistent while the service writes.
    let tx = store.db.transaction();
    if (store.dialect === 'mysql') tx = tx.setIsolationLevel('repeatable read');
    await tx.execute(async (trx) => {
      const keyCheck = await readKeyCheck(trx);
      if (!keyCheck) {
        throw new BackupError('the database has no key check yet: start the service once first');
      }
      if (!masterKey.matchesKeyCheck(keyCheck)) throw new BackupKeyMismatchError();
      await write({
        format: BACKUP_FORMAT,
        version: BACKUP_VERSION,
        createdAt: new Date().toISOString(),
        sourceDialect: store.dialect,
        keyCheck,
        tables: TABLE_NAMES,
      });
      const rows = trx as unknown as Kysely<RowDatabase>;
      for (const table of TABLE_NAMES) {
        const spec = TABLES[table];
        counts[table] = 0;
        for (let offset = 0; ; offset += PAGE) {
          let query = rows.selectFrom(table).select([...spec.columns]);
          for (const column of spec.orderBy) query = query.orderBy(column);
          const page = await query.limit(PAGE).offset(offset).execute();
          for (const r of page) await write({ t: table, r });
          counts[table] += page.length;
          if (page.length < PAGE) break;
        }
      }
      const trailer = trailerText(counts);
      mac.update(trailer + '\n');
      await writeText(`${trailer.slice(0, -1)},"mac":"${mac.digest('hex')}"}`);
    });
    out.end();
    await once(out, 'finish');
    renameSync(tmp, file);
    return counts;
  } catch (err) {
    out.destroy();
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** Row counts of the tables a restore fills; all zero means the database is empty. */
async function contentCounts(db: Kysely<Database>): Promise<Record<string, number>> {
  const rows = db as unknown as Kysely<RowDatabase>;
  const counts: Record<string, number> = {};
  for (const table of TABLE_NAMES) {
    const r = await rows
      .selectFrom(table)
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    counts[table] = Number(r.n);
  }
  return counts;
}

export interface RestoreOptions {
  /**
   * Also read a version 1 backup, which has no MAC (made before backups were authenticated):
   * the operator vouches that nobody changed the file.
   */
  allowUnauthenticated?: boolean;
}

/**
 * Restores a backup into an EMPTY, migrated database of either dialect, in one transaction.
 * `masterKey` must be the key the backup was made with; the backup's MAC is checked before the
 * transaction commits. Returns the row counts restored.
 */
export async function restoreBackup(
  store: Store,
  file: string,
  masterKey: BackupKey,
  options: RestoreOptions = {},
): Promise<Record<string, number>> {
  if (!existsSync(file)) throw new BackupError(`${file} does not exist`);
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  const iterator = lines[Symbol.asyncIterator]();
  const parseLine = (text: string, lineNo: number): unknown => {
    try {
      return JSON.parse(text);
    } catch {
      throw new BackupError(`line ${lineNo} of the backup is not JSON: the file is damaged`);
    }
  };
  try {
    const first = await iterator.next();
    if (first.done) throw new BackupError('the backup file is empty');
    const header = HeaderSchema.safeParse(parseLine(first.value, 1));
    if (!header.success) throw new BackupError('this is not a xares-credentials backup file');
    const unauthenticated = header.data.version === UNAUTHENTICATED_VERSION;
    if (unauthenticated && !options.allowUnauthenticated) {
      throw new BackupError(
        'the backup has no authentication code (format version 1, or a header that was altered): ' +
          'it cannot be told apart from a changed file. If you made it yourself with an older ' +
          'version and kept it safe, restore it with --allow-unauthenticated',
      );
    }
    if (!unauthenticated && header.data.version !== BACKUP_VERSION) {
      throw new BackupError(
        `the backup has format version ${header.data.version}; this program reads version ${BACKUP_VERSION}`,
      );
    }
    if (!masterKey.matchesKeyCheck(header.data.keyCheck)) throw new BackupKeyMismatchError();
    const mac = backupMac(masterKey);
    mac.update(first.value + '\n');

    const before = await contentCounts(store.db);
    const { service_meta: metaRows, ...content } = before;
    const nonEmpty = Object.entries(content).filter(([, n]) => n > 0);
    const existingCheck = await readKeyCheck(store.db);
    // A database where only the service started once (key check under the same key) is empty.
    if (
      nonEmpty.length > 0 ||
      (metaRows ?? 0) > (existingCheck ? 1 : 0) ||
      (existingCheck && existingCheck.keyId !== header.data.keyCheck.keyId)
    ) {
      const what = nonEmpty.map(([t, n]) => `${n} ${t}`).join(', ') || 'service settings';
      throw new BackupError(
        `the target database is not empty (${what}); restore needs an empty database`,
      );
    }

    const counts: Record<string, number> = Object.fromEntries(TABLE_NAMES.map((t) => [t, 0]));
    await inTransaction(store.db, async (trx) => {
      const rows = trx as unknown as Kysely<RowDatabase>;
      await trx.deleteFrom('service_meta').execute();
      let pending: { table: BackupTable; rows: Row[] } | undefined;
      let tableIndex = 0;
      const flush = async () => {
        if (pending && pending.rows.length) {
          await rows.insertInto(pending.table).values(pending.rows).execute();
        }
        pending = undefined;
      };
      let lineNo = 1;
      let trailer: z.infer<typeof TrailerSchema> | undefined;
      for (;;) {
        const next = await iterator.next();
        if (next.done) break;
        lineNo++;
        if (trailer) throw new BackupError(`line ${lineNo}: data after the end of the backup`);
        const value = parseLine(next.value, lineNo);
        const end = TrailerSchema.safeParse(value);
        if (end.success) {
          trailer = end.data;
          continue;
        }
        mac.update(next.value + '\n');
        const line = RowLineSchema.safeParse(value);
        if (!line.success) throw new BackupError(`line ${lineNo} of the backup is not a row`);
        // Version 1 backups carried sessions: a restore revives none.
        if (unauthenticated && line.data.t === 'sessions') continue;
        const table = line.data.t as BackupTable;
        const at = TABLE_NAMES.indexOf(table);
        if (at < 0 || at < tableIndex) {
          throw new BackupError(`line ${lineNo}: unexpected table '${line.data.t}'`);
        }
        tableIndex = at;
        const allowed: readonly string[] = TABLES[table].columns;
        const unknown = Object.keys(line.data.r).filter((c) => !allowed.includes(c));
        if (unknown.length) {
          throw new BackupError(
            `line ${lineNo}: unknown column(s) ${unknown.join(', ')} in ${table}`,
          );
        }
        if (pending && pending.table !== table) await flush();
        pending ??= { table, rows: [] };
        pending.rows.push(line.data.r);
        counts[table] = (counts[table] ?? 0) + 1;
        if (pending.rows.length >= 200) await flush();
      }
      await flush();
      if (!trailer) throw new BackupError('the backup file is incomplete (no end marker)');
      if (!unauthenticated) {
        // Checked before the counts: a count made to fit a removed row is an alteration too.
        if (!trailer.mac) {
          throw new BackupError(
            'the backup has no authentication code (MAC): it was altered; nothing was restored',
          );
        }
        mac.update(trailerText(trailer.counts) + '\n');
        const expected = mac.digest();
        const given = Buffer.from(trailer.mac, 'hex');
        if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
          throw new BackupError(ALTERED_MESSAGE);
        }
      }
      for (const table of TABLE_NAMES) {
        if ((trailer.counts[table] ?? 0) !== counts[table]) {
          throw new BackupError(
            `the backup file is incomplete: ${table} has ${counts[table]} rows, expected ${trailer.counts[table]}`,
          );
        }
      }
    });
    return counts;
  } finally {
    lines.close();
  }
}
