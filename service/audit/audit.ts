// The audit trail: one row per security-relevant event with its outcome. Writing throws on
// failure (callers hand out nothing then); listing pages by id and flags suspicious bursts;
// export is JSON or CSV; purge removes old rows in bounded batches.
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { AppError } from '../errors';
import {
  deleteAuditRows,
  findBursts,
  findFirstIdSince,
  findIdsOlderThan,
  insertAuditRow,
  listAuditRows,
  listAuditRowsAfter,
  updateAuditOutcome,
} from '../store/auditLog';
import type { Executor } from '../store/database';
import type {
  AuditAction,
  AuditOutcome,
  AuditRow,
  CredentialType,
  NewAuditRow,
} from '../store/schema';

export interface AuditEntryInput {
  /** The acting user; null for a sign-in attempt on an unknown username. */
  userId: string | null;
  username?: string | null;
  action: AuditAction;
  outcome: AuditOutcome;
  credentialId?: string | null;
  credentialType?: CredentialType | null;
  provider?: string | null;
  name?: string | null;
  workspaceId?: string | null;
  ipAddress?: string | null;
  userAgent?: string | null;
  /** Words for a person; never a secret. */
  detail?: string | null;
  timestamp?: number;
}

/** The original design's threshold: more than 50 of one action from one address in an hour. */
export const SUSPICIOUS_THRESHOLD = 50;
/**
 * Actions the burst heuristic does not count: an AI call through the gateway uses a key without
 * handing it out, and a busy agent makes hundreds an hour; they are counted in ai_usage (and
 * bounded per user by CREDENTIAL_AI_CONCURRENCY) instead.
 */
export const NOT_COUNTED_AS_BURSTS: readonly AuditAction[] = ['ai_request'];
export const SUSPICIOUS_WINDOW_MS = 3600_000;

export interface AuditEntry {
  id: number;
  action: AuditAction;
  outcome: AuditOutcome;
  credentialId: string | null;
  credentialType: CredentialType | null;
  provider: string | null;
  name: string | null;
  workspaceId: string | null;
  ipAddress: string | null;
  userAgent: string | null;
  detail: string | null;
  /** ISO-8601. */
  timestamp: string;
  /** Part of a burst above SUSPICIOUS_THRESHOLD within the last hour. */
  suspicious: boolean;
}

export interface SuspiciousActivity {
  action: AuditAction;
  ipAddress: string | null;
  count: number;
}

export interface AuditPage {
  entries: AuditEntry[];
  /** Pass as `before` for the next (older) page; null at the end. */
  nextCursor: number | null;
  /** Bursts in the last hour; empty when nothing looks unusual. */
  suspicious: SuspiciousActivity[];
}

const cut = (value: string | null | undefined, max: number): string | null =>
  value === undefined || value === null ? null : value.slice(0, max);

/** Writes one audit row and returns its id; throws AppError SERVICE_UNAVAILABLE if it could not. */
export async function recordAudit(db: Executor, entry: AuditEntryInput): Promise<number> {
  const row: NewAuditRow = {
    user_id: entry.userId,
    username: cut(entry.username, 64),
    action: entry.action,
    outcome: entry.outcome,
    credential_id: entry.credentialId ?? null,
    credential_type: entry.credentialType ?? null,
    provider: cut(entry.provider, 64),
    name: cut(entry.name, 255),
    workspace_id: cut(entry.workspaceId, 128),
    ip_address: cut(entry.ipAddress, 64),
    user_agent: cut(entry.userAgent, 512),
    detail: cut(entry.detail, 1000),
    timestamp: entry.timestamp ?? Date.now(),
  };
  try {
    return await insertAuditRow(db, row);
  } catch (err) {
    throw new AppError('SERVICE_UNAVAILABLE', 'the audit log could not be written', { cause: err });
  }
}

/**
 * Completes a row written before the outcome was known (an AI call: written before the key is
 * used, completed with the provider's status and usage when the answer ended).
 */
export async function completeAudit(
  db: Executor,
  id: number,
  result: { outcome: AuditOutcome; detail: string },
): Promise<void> {
  try {
    await updateAuditOutcome(db, id, result.outcome, cut(result.detail, 1000));
  } catch (err) {
    throw new AppError('SERVICE_UNAVAILABLE', 'the audit log could not be written', { cause: err });
  }
}

function toEntry(row: AuditRow, suspicious: boolean): AuditEntry {
  return {
    id: Number(row.id),
    action: row.action,
    outcome: row.outcome,
    credentialId: row.credential_id,
    credentialType: row.credential_type,
    provider: row.provider,
    name: row.name,
    workspaceId: row.workspace_id,
    ipAddress: row.ip_address,
    userAgent: row.user_agent,
    detail: row.detail,
    timestamp: new Date(Number(row.timestamp)).toISOString(),
    suspicious,
  };
}

/** Bursts of one action from one address above the threshold within the last hour. */
export async function findSuspiciousActivity(
  db: Executor,
  userId: string,
  now: number = Date.now(),
  workspaceId?: string,
): Promise<SuspiciousActivity[]> {
  const rows = await findBursts(db, {
    userId,
    workspaceId,
    since: now - SUSPICIOUS_WINDOW_MS,
    threshold: SUSPICIOUS_THRESHOLD,
    notCounted: NOT_COUNTED_AS_BURSTS,
  });
  return rows.map((r) => ({ action: r.action, ipAddress: r.ip_address, count: r.count }));
}

/** One page of the user's audit log (or of one of their workspaces), newest first. */
export async function listAudit(
  db: Executor,
  userId: string,
  options: {
    limit?: number;
    before?: number | null;
    action?: AuditAction;
    /** Only rows of this workspace (what a workspace session may see). */
    workspaceId?: string;
  } = {},
  now: number = Date.now(),
): Promise<AuditPage> {
  const limit = Math.min(Math.max(Math.trunc(options.limit ?? 100), 1), 1000);
  const rows = await listAuditRows(db, {
    userId,
    workspaceId: options.workspaceId,
    before: options.before,
    action: options.action,
    limit: limit + 1,
  });
  const page = rows.slice(0, limit);
  const suspicious = await findSuspiciousActivity(db, userId, now, options.workspaceId);
  const bursts = new Set(suspicious.map((s) => `${s.action}\u0000${s.ipAddress ?? ''}`));
  const entries = page.map((row) =>
    toEntry(
      row,
      Number(row.timestamp) > now - SUSPICIOUS_WINDOW_MS &&
        bursts.has(`${row.action}\u0000${row.ip_address ?? ''}`),
    ),
  );
  const last = page[page.length - 1];
  return { entries, nextCursor: rows.length > limit && last ? Number(last.id) : null, suspicious };
}

// --- export ----------------------------------------------------------------------------------

export interface AuditExportOptions {
  /** Only this user's rows; all users when undefined (the operator's `audit export`). */
  userId?: string;
  /** Only this workspace's rows. */
  workspaceId?: string;
  format: 'json' | 'csv';
  /** Epoch ms: rows at or after this time. */
  since?: number;
  /** Bound on exported rows (default 1,000,000). */
  maxRows?: number;
}

export interface ExportedAuditEntry extends Omit<AuditEntry, 'suspicious'> {
  userId: string | null;
  username: string | null;
}

const CSV_COLUMNS: (keyof ExportedAuditEntry)[] = [
  'id',
  'timestamp',
  'userId',
  'username',
  'action',
  'outcome',
  'credentialId',
  'credentialType',
  'provider',
  'name',
  'workspaceId',
  'ipAddress',
  'userAgent',
  'detail',
];

/** RFC 4180 quoting; a leading = + - @ gets a quote mark so spreadsheets do not run it. */
export function csvField(value: string | number | null): string {
  if (value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return `"${text.replace(/"/g, '""')}"`;
}

/** The export as chunks of text, read from the database in batches (for stdout). */
export async function* auditExportChunks(
  db: Executor,
  options: AuditExportOptions,
): AsyncGenerator<string> {
  const maxRows = options.maxRows ?? 1_000_000;
  const batch = 1000;
  let after = 0;
  let count = 0;
  yield options.format === 'json' ? '[' : CSV_COLUMNS.join(',') + '\r\n';
  if (options.since !== undefined) {
    // Start at the first row of the period, not at id 0: paging by id from 0 through
    // (user_id, id) reads the user's whole history to export its last hour (bench/scale.ts).
    after = await firstIdSince(db, options, options.since);
  }
  for (;;) {
    const rows = await listAuditRowsAfter(db, options, after, Math.min(batch, maxRows - count));
    const lines: string[] = [];
    for (const row of rows) {
      const { suspicious: _s, ...entry } = toEntry(row, false);
      const exported: ExportedAuditEntry = {
        ...entry,
        userId: row.user_id,
        username: row.username,
      };
      lines.push(
        options.format === 'json'
          ? (count === 0 ? '\n' : ',\n') + JSON.stringify(exported)
          : CSV_COLUMNS.map((c) => csvField(exported[c])).join(',') + '\r\n',
      );
      count++;
    }
    if (lines.length) yield lines.join('');
    const last = rows[rows.length - 1];
    if (!last || rows.length < batch || count >= maxRows) break;
    after = Number(last.id);
  }
  if (options.format === 'json') yield count === 0 ? ']\n' : '\n]\n';
}

/**
 * One less than the smallest id of the rows at or after `since` (through the indexes on
 * (user_id, timestamp) or (timestamp), which hold the id), or the largest id when there is none,
 * so the export pages from there. Every row below it is older than `since`.
 */
async function firstIdSince(
  db: Executor,
  options: Pick<AuditExportOptions, 'userId' | 'workspaceId'>,
  since: number,
): Promise<number> {
  const first = await findFirstIdSince(db, options, since);
  return first === undefined ? Number.MAX_SAFE_INTEGER : first - 1;
}

/** The whole export as one string (the API's audit.export). */
export async function exportAudit(db: Executor, options: AuditExportOptions): Promise<string> {
  const parts: string[] = [];
  for await (const chunk of auditExportChunks(db, { maxRows: 100_000, ...options }))
    parts.push(chunk);
  return parts.join('');
}

// --- retention -------------------------------------------------------------------------------

/**
 * Deletes rows older than `retentionDays`, `batchSize` at a time (short transactions, so the
 * service keeps writing meanwhile), at most `maxBatches` batches. Returns how many were deleted.
 */
export async function purgeAudit(
  db: Executor,
  retentionDays: number,
  batchSize = 1000,
  options: { now?: number; maxBatches?: number } = {},
): Promise<number> {
  const cutoff = (options.now ?? Date.now()) - retentionDays * 86_400_000;
  const maxBatches = options.maxBatches ?? 10_000;
  let deleted = 0;
  for (let i = 0; i < maxBatches; i++) {
    const ids = await findIdsOlderThan(db, cutoff, batchSize);
    if (ids.length === 0) break;
    deleted += await deleteAuditRows(db, ids);
    if (ids.length < batchSize) break;
    await yieldToLoop();
  }
  return deleted;
}
