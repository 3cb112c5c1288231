// Helpers every domain module uses: times as ISO strings, the audit fields of a caller, and the
// one answer to a by-id access that is not the caller's (NOT_FOUND, audited as denied).
import { AppError } from '../errors';
import type { CredentialInfo } from '../store/credentials';
import type { Executor } from '../store/database';
import { recordAudit, type AuditEntryInput } from '../audit/audit';
import type { AuditAction, CredentialType } from '../store/schema';
import type { Caller, DomainContext } from './deps';

export function iso(ms: number): string {
  return new Date(Number(ms)).toISOString();
}

export function isoOrNull(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : iso(ms);
}

/** ISO input (already validated by zod) to epoch ms; null and undefined pass through. */
export function epochOrNull<T extends null | undefined>(value: string | T): number | T {
  return typeof value === 'string' ? Date.parse(value) : value;
}

/** Who did it and from where, as every audit row records it. */
export function auditFields(caller: Caller): Pick<
  AuditEntryInput,
  'userId' | 'username' | 'workspaceId' | 'ipAddress' | 'userAgent'
> & {
  userId: string;
} {
  return {
    userId: caller.userId,
    username: caller.username,
    workspaceId: caller.workspaceId,
    ipAddress: caller.ipAddress,
    userAgent: caller.userAgent,
  };
}

export async function audit(
  ctx: DomainContext,
  entry: Omit<AuditEntryInput, 'userId' | 'username' | 'ipAddress' | 'userAgent'>,
): Promise<void> {
  await recordAudit(ctx.deps.store.db, {
    ...auditFields(ctx.caller),
    ...entry,
    workspaceId: entry.workspaceId ?? ctx.caller.workspaceId,
  });
}

/**
 * A by-id access to something that is not the caller's (or does not exist): the same answer in
 * both cases, so ids of other users cannot be probed, and an audit row marked denied.
 */
export async function deniedNotFound(
  ctx: DomainContext,
  action: AuditAction,
  what: { id: string; type?: CredentialType; label: string },
): Promise<never> {
  await audit(ctx, {
    action,
    outcome: 'denied',
    // Ids are validated (at most 36 characters), so the attempted id fits the column.
    credentialId: what.id,
    credentialType: what.type ?? null,
    detail: `no ${what.label} with this id for this user`,
  });
  throw new AppError('NOT_FOUND', `no such ${what.label}`);
}

/** The audit row of a change, written in the change's transaction: both land or neither. */
export async function auditChange(
  trx: Executor,
  ctx: DomainContext,
  info: Pick<CredentialInfo, 'id' | 'type' | 'provider' | 'name'>,
  action: 'create' | 'update' | 'delete',
): Promise<void> {
  await recordAudit(trx, {
    ...auditFields(ctx.caller),
    action,
    outcome: 'success',
    credentialId: info.id,
    credentialType: info.type,
    provider: info.provider,
    name: info.name,
  });
}
