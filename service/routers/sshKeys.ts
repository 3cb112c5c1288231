// sshKeys.*: the user's SSH keys; the private key never leaves the service through here.
import {
  deleteSshKey,
  generateSshKey,
  getSshKeyByName,
  importSshKey,
  listSshKeys,
  registerSshKey,
} from '../domain/sshKeys';
import { protectedProcedure, router, userProcedure } from '../trpc';
import { ByIdInput, OkSchema } from '../api/common';
import {
  GenerateSshKeyInput,
  ImportSshKeyInput,
  RegisterResultSchema,
  RegisterSshKeyInput,
  SshKeyByNameInput,
  SshKeyListSchema,
  SshKeySchema,
} from '../api/sshKeys';

export const sshKeysRouter = router({
  generate: userProcedure
    .input(GenerateSshKeyInput)
    .output(SshKeySchema)
    .mutation(({ ctx, input }) => generateSshKey(ctx, input ?? {})),
  import: userProcedure
    .input(ImportSshKeyInput)
    .output(SshKeySchema)
    .mutation(({ ctx, input }) => importSshKey(ctx, input)),
  list: protectedProcedure.output(SshKeyListSchema).query(({ ctx }) => listSshKeys(ctx)),
  get: userProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/ssh-keys/{name}',
        tags: ['ssh-keys'],
        summary: 'An SSH key by name',
      },
    })
    .input(SshKeyByNameInput)
    .output(SshKeySchema)
    .query(({ ctx, input }) => getSshKeyByName(ctx, input.name)),
  delete: userProcedure
    .meta({
      openapi: {
        method: 'DELETE',
        path: '/ssh-keys/{id}',
        tags: ['ssh-keys'],
        summary: 'Delete an SSH key',
      },
    })
    .input(ByIdInput)
    .output(OkSchema)
    .mutation(({ ctx, input }) => deleteSshKey(ctx, input.id)),
  register: userProcedure
    .input(RegisterSshKeyInput)
    .output(RegisterResultSchema)
    .mutation(({ ctx, input }) => registerSshKey(ctx, input.id, input.provider, input.usage)),
});
