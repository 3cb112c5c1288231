// The caller's audit log: pages and exports.
import { AppError } from '../errors';
import type {
  AuditExport,
  AuditExportInputT,
  AuditListInputT,
  AuditPage,
} from '../routers/schemas';
import type { DomainContext } from './deps';

export async function listAuditEntries(
  _ctx: DomainContext,
  _input: AuditListInputT,
): Promise<AuditPage> {
  throw new AppError('SERVICE_UNAVAILABLE', 'the audit log is not available yet');
}
export async function exportAuditEntries(
  _ctx: DomainContext,
  _input: AuditExportInputT,
): Promise<AuditExport> {
  throw new AppError('SERVICE_UNAVAILABLE', 'the audit log is not available yet');
}
