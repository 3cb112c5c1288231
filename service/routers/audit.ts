// audit.*: the caller's own audit log, paged by id, and its export.
import { exportAuditEntries, listAuditEntries } from '../domain/audit';
import { protectedProcedure, router, userProcedure } from '../trpc';
import { AuditExportInput, AuditExportSchema, AuditListInput, AuditPageSchema } from '../api/audit';

export const auditRouter = router({
  list: protectedProcedure
    .input(AuditListInput)
    .output(AuditPageSchema)
    .query(({ ctx, input }) => listAuditEntries(ctx, input ?? {})),
  export: userProcedure
    .input(AuditExportInput)
    .output(AuditExportSchema)
    .query(({ ctx, input }) => exportAuditEntries(ctx, input)),
});
