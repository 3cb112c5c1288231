// The caller's own audit log: pages newest first (cursor = id) and exports as JSON or CSV. A
// workspace session sees only its own workspace's rows.
import type { AuditExport, AuditExportInputT, AuditListInputT, AuditPage } from '../api/audit';
import { exportAudit, listAudit } from '../audit/audit';
import { audit } from './common';
import type { DomainContext } from './deps';

export async function listAuditEntries(
  ctx: DomainContext,
  input: AuditListInputT,
): Promise<AuditPage> {
  const { caller } = ctx;
  return listAudit(ctx.deps.store.db, caller.userId, {
    limit: input.limit,
    before: input.before,
    action: input.action,
    // A workspace token sees what happened in its own workspace, not the user's whole trail.
    ...(caller.sessionKind === 'workspace' && { workspaceId: caller.workspaceId ?? '' }),
  });
}

export async function exportAuditEntries(
  ctx: DomainContext,
  input: AuditExportInputT,
): Promise<AuditExport> {
  const { caller } = ctx;
  const content = await exportAudit(ctx.deps.store.db, {
    userId: caller.userId,
    // The router allows user sessions only; should that change, a workspace still sees only itself.
    ...(caller.sessionKind === 'workspace' && { workspaceId: caller.workspaceId ?? '' }),
    format: input.format,
    since: input.since === undefined ? undefined : Date.parse(input.since),
  });
  await audit(ctx, { action: 'export', outcome: 'success', detail: `format ${input.format}` });
  return { format: input.format, content };
}
