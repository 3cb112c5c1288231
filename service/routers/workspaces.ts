// workspaces.* and credentials.clearAll: the caller's containers and what was injected into them.
import {
  clearAllCredentials,
  clearWorkspace,
  injectWorkspace,
  listWorkspaces,
} from '../domain/workspaces';
import { protectedProcedure, router, userProcedure } from '../trpc';
import {
  ClearAllInput,
  ClearAllResultSchema,
  ClearResultSchema,
  InjectResultSchema,
  WorkspaceInput,
  WorkspaceListSchema,
} from '../api/workspaces';

export const workspacesRouter = router({
  list: protectedProcedure.output(WorkspaceListSchema).query(({ ctx }) => listWorkspaces(ctx)),
  // A workspace session may inject only its own container; the domain function checks that.
  inject: protectedProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/inject/{workspaceId}',
        tags: ['workspaces'],
        summary: "Inject the caller's credentials into a workspace",
      },
    })
    .input(WorkspaceInput)
    .output(InjectResultSchema)
    .mutation(({ ctx, input }) => injectWorkspace(ctx, input.workspaceId)),
  clear: userProcedure
    .input(WorkspaceInput)
    .output(ClearResultSchema)
    .mutation(({ ctx, input }) => clearWorkspace(ctx, input.workspaceId)),
});

export const credentialsRouter = router({
  clearAll: userProcedure
    .input(ClearAllInput)
    .output(ClearAllResultSchema)
    .mutation(({ ctx }) => clearAllCredentials(ctx)),
});
