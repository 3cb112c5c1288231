// The audit_log table: one row per security-relevant event (service/audit/audit.ts decides what
// is written, what a burst is, how an export looks and how long rows are kept). Every statement
// on the table.
import type { Executor } from './database';
import type { AuditAction, AuditOutcome, AuditRow, NewAuditRow } from './schema';

/** Inserts one row and returns its id. */
export async function insertAuditRow(db: Executor, row: NewAuditRow): Promise<number> {
  const result = await db.insertInto('audit_log').values(row).executeTakeFirstOrThrow();
  return Number(result.insertId ?? 0);
}

/** Sets the outcome and detail of one row (a row written before the outcome was known). */
export async function updateAuditOutcome(
  db: Executor,
  id: number,
  outcome: AuditOutcome,
  detail: string | null,
): Promise<void> {
  await db.updateTable('audit_log').set({ outcome, detail }).where('id', '=', id).execute();
}

export interface AuditBurstRow {
  action: AuditAction;
  ip_address: string | null;
  count: number;
}

/**
 * The user's rows after `since` (of one workspace when given) grouped by (action, address), the
 * groups of more than `threshold` rows; actions in `notCounted` are left out.
 */
export async function findBursts(
  db: Executor,
  filter: {
    userId: string;
    workspaceId?: string;
    since: number;
    threshold: number;
    notCounted: readonly AuditAction[];
  },
): Promise<AuditBurstRow[]> {
  let query = db
    .selectFrom('audit_log')
    .select(['action', 'ip_address'])
    .select((eb) => eb.fn.countAll().as('count'))
    .where('user_id', '=', filter.userId)
    .where('action', 'not in', filter.notCounted);
  if (filter.workspaceId !== undefined)
    query = query.where('workspace_id', '=', filter.workspaceId);
  const rows = await query
    .where('timestamp', '>', filter.since)
    .groupBy(['action', 'ip_address'])
    .having((eb) => eb.fn.countAll(), '>', filter.threshold)
    .execute();
  return rows.map((r) => ({ action: r.action, ip_address: r.ip_address, count: Number(r.count) }));
}

/** Up to `limit` of the user's rows, newest first, below id `before` when given. */
export async function listAuditRows(
  db: Executor,
  filter: {
    userId: string;
    workspaceId?: string;
    before?: number | null;
    action?: AuditAction;
    limit: number;
  },
): Promise<AuditRow[]> {
  let query = db.selectFrom('audit_log').selectAll().where('user_id', '=', filter.userId);
  if (filter.workspaceId !== undefined) {
    query = query.where('workspace_id', '=', filter.workspaceId);
  }
  if (filter.before !== undefined && filter.before !== null) {
    query = query.where('id', '<', filter.before);
  }
  if (filter.action) query = query.where('action', '=', filter.action);
  return query.orderBy('id', 'desc').limit(filter.limit).execute();
}

/** Who and what an export reads: one user's or all users' rows, one workspace's, since when. */
export interface AuditExportFilter {
  userId?: string;
  workspaceId?: string;
  since?: number;
}

/** Up to `limit` rows with an id above `after`, in id order (one batch of an export). */
export async function listAuditRowsAfter(
  db: Executor,
  filter: AuditExportFilter,
  after: number,
  limit: number,
): Promise<AuditRow[]> {
  let query = db.selectFrom('audit_log').selectAll().where('id', '>', after);
  if (filter.userId !== undefined) query = query.where('user_id', '=', filter.userId);
  if (filter.workspaceId !== undefined) {
    query = query.where('workspace_id', '=', filter.workspaceId);
  }
  if (filter.since !== undefined) query = query.where('timestamp', '>=', filter.since);
  return query.orderBy('id').limit(limit).execute();
}

/**
 * The smallest id of the rows at or after `since` (through the indexes on (user_id, timestamp)
 * or (timestamp), which hold the id), or undefined when there is none.
 */
export async function findFirstIdSince(
  db: Executor,
  filter: Pick<AuditExportFilter, 'userId' | 'workspaceId'>,
  since: number,
): Promise<number | undefined> {
  let query = db
    .selectFrom('audit_log')
    .select((eb) => eb.fn.min('id').as('first'))
    .where('timestamp', '>=', since);
  if (filter.userId !== undefined) query = query.where('user_id', '=', filter.userId);
  if (filter.workspaceId !== undefined) {
    query = query.where('workspace_id', '=', filter.workspaceId);
  }
  const row = await query.executeTakeFirst();
  if (row?.first === null || row?.first === undefined) return undefined;
  return Number(row.first);
}

/** The ids of up to `limit` rows older than `cutoff`, oldest id first. */
export async function findIdsOlderThan(
  db: Executor,
  cutoff: number,
  limit: number,
): Promise<AuditRow['id'][]> {
  const rows = await db
    .selectFrom('audit_log')
    .select('id')
    .where('timestamp', '<', cutoff)
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}

/** Deletes the rows with these ids; returns how many were deleted. */
export async function deleteAuditRows(db: Executor, ids: AuditRow['id'][]): Promise<number> {
  const result = await db.deleteFrom('audit_log').where('id', 'in', ids).executeTakeFirst();
  return Number(result.numDeletedRows);
}
