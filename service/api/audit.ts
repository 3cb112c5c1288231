// The contract of audit.*: the caller's own audit log, paged by id, and its export.
import { z } from 'zod';
import { AUDIT_ACTIONS, AUDIT_OUTCOMES } from '../vocabulary';
import { IsoDateSchema, typeError } from './common';

export const AuditActionSchema = z.enum(AUDIT_ACTIONS);

export const AuditEntrySchema = z.object({
  id: z.number(),
  action: AuditActionSchema,
  outcome: z.enum(AUDIT_OUTCOMES),
  credentialId: z.string().nullable(),
  credentialType: z.enum(['ssh_key', 'git_token', 'ai_token']).nullable(),
  provider: z.string().nullable(),
  name: z.string().nullable(),
  workspaceId: z.string().nullable(),
  ipAddress: z.string().nullable(),
  userAgent: z.string().nullable(),
  detail: z.string().nullable(),
  timestamp: z.string(),
  /** Part of a burst of one action from one address (more than 50 within an hour). */
  suspicious: z.boolean(),
});

export const AuditPageSchema = z.object({
  entries: z.array(AuditEntrySchema),
  nextCursor: z.number().nullable(),
  /** Bursts within the last hour; empty when nothing looks unusual. */
  suspicious: z.array(
    z.object({ action: AuditActionSchema, ipAddress: z.string().nullable(), count: z.number() }),
  ),
});

export const AuditListInput = z
  .object({
    limit: z
      .number({ error: typeError('limit', 'a number') })
      .int('limit must be a whole number')
      .min(1, 'limit must be at least 1')
      .max(1000, 'limit must be at most 1000')
      .optional(),
    before: z
      .number({ error: typeError('before', 'a number') })
      .int('before must be a whole number')
      .positive()
      .optional(),
    action: AuditActionSchema.optional(),
  })
  .optional();

export const AuditExportInput = z.object({
  format: z.enum(['json', 'csv'], { error: "format must be 'json' or 'csv'" }),
  since: IsoDateSchema.optional(),
});
export const AuditExportSchema = z.object({ format: z.enum(['json', 'csv']), content: z.string() });

export type AuditEntry = z.infer<typeof AuditEntrySchema>;
export type AuditPage = z.infer<typeof AuditPageSchema>;
export type AuditExport = z.infer<typeof AuditExportSchema>;
export type AuditListInputT = NonNullable<z.infer<typeof AuditListInput>>;
export type AuditExportInputT = z.infer<typeof AuditExportInput>;
