// The caller's own audit log: pages newest first (cursor = id) and exports as JSON or CSV.
import type {
  AuditExport,
  AuditExportInputT,
  AuditListInputT,
  AuditPage,
} from '../routers/schemas';
import { exportAudit, listAudit } from '../store';
import { audit } from './common';
import type { DomainContext } from './deps';

export async function listAuditEntries(
  ctx: DomainContext,
  input: AuditListInputT,
): Promise<AuditPage> {
  return listAudit(ctx.deps.store.db, ctx.caller.userId, {
    limit: input.limit,
    before: input.before,
    action: input.action,
  });
}

export async function exportAuditEntries(
  ctx: DomainContext,
  input: AuditExportInputT,
): Promise<AuditExport> {
  const content = await exportAudit(ctx.deps.store.db, {
    userId: ctx.caller.userId,
    format: input.format,
    since: input.since === undefined ? undefined : Date.parse(input.since),
  });
  await audit(ctx, { action: 'export', outcome: 'success', detail: `format ${input.format}` });
  return { format: input.format, content };
}
