// The contract of workspaces.* and credentials.clearAll: the caller's containers and what was
// injected into them.
import { z } from 'zod';
import { EmptyInput, typeError } from './common';

/** Docker container ids or names, as the user sees them. */
export const WorkspaceIdSchema = z
  .string({ error: typeError('workspaceId') })
  .min(1, 'workspaceId must not be empty')
  .max(128, 'workspaceId must be at most 128 characters')
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'workspaceId is not a valid container id or name');
export const WorkspaceInput = z.object({ workspaceId: WorkspaceIdSchema });

export const WorkspaceSchema = z.object({
  id: z.string(),
  name: z.string(),
  state: z.string(),
  injectedAt: z.string().nullable(),
});
export const WorkspaceListSchema = z.array(WorkspaceSchema);

export const InjectResultSchema = z.object({
  injected: z.literal(true),
  workspaceId: z.string(),
  files: z.array(z.string()),
  /** One sentence per dotfile the injection left alone, saying why (absent when none). */
  notes: z.array(z.string()).optional(),
});
export const ClearResultSchema = z.object({ cleared: z.literal(true), files: z.array(z.string()) });

export const ClearAllInput = EmptyInput;
export const ClearAllResultSchema = z.object({
  deleted: z.number(),
  workspacesCleared: z.number(),
});

export type Workspace = z.infer<typeof WorkspaceSchema>;
export type InjectResult = z.infer<typeof InjectResultSchema>;
export type ClearResult = z.infer<typeof ClearResultSchema>;
export type ClearAllResult = z.infer<typeof ClearAllResultSchema>;
