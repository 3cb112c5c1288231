// The REST mirror's own procedures (CONTRACT.md section 4): the original design's paths and body
// shapes where they differ from the tRPC ones, over domain/restMirror.ts. The procedures whose
// shapes match carry their REST path in their own meta (see sshKeys.ts, tokens.ts).
import {
  RestCreateSshKeyInput,
  RestListSshKeysInput,
  RestReplaceSshKeyInput,
  RestSshKeyListSchema,
  SshKeySchema,
} from '../api/sshKeys';
import {
  ListTokensInput,
  RestCreateTokenInput,
  RestTestProviderInput,
  RestTestResultSchema,
  RestTokenListSchema,
  TokenInfoSchema,
} from '../api/tokens';
import { WorkspaceInput, WorkspaceSchema } from '../api/workspaces';
import * as restMirror from '../domain/restMirror';
import { getWorkspace } from '../domain/workspaces';
import { protectedProcedure, router, userProcedure } from '../trpc';

const tags = {
  sshKeys: ['ssh-keys'],
  tokens: ['tokens'],
  tests: ['tests'],
  workspaces: ['workspaces'],
};

export const restRouter = router({
  createSshKey: userProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/ssh-keys',
        tags: tags.sshKeys,
        summary: 'Generate an ed25519 key, or import one when privateKey is given',
      },
      successStatus: 201,
    })
    .input(RestCreateSshKeyInput)
    .output(SshKeySchema)
    .mutation(({ ctx, input }) => restMirror.createSshKey(ctx, input ?? {})),
  listSshKeys: protectedProcedure
    .meta({
      openapi: { method: 'GET', path: '/ssh-keys', tags: tags.sshKeys, summary: 'SSH keys' },
    })
    .input(RestListSshKeysInput)
    .output(RestSshKeyListSchema)
    .query(({ ctx }) => restMirror.listSshKeysObject(ctx)),
  replaceSshKey: userProcedure
    .meta({
      openapi: {
        method: 'PUT',
        path: '/ssh-keys/{id}',
        tags: tags.sshKeys,
        summary: 'New key material under the same name: import privateKey, or generate',
      },
    })
    .input(RestReplaceSshKeyInput)
    .output(SshKeySchema)
    .mutation(({ ctx, input }) => restMirror.replaceSshKeyById(ctx, input)),
  createToken: userProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/tokens',
        tags: tags.tokens,
        summary: 'Save a git token or AI key (type inferred from the provider)',
      },
      successStatus: 201,
    })
    .input(RestCreateTokenInput)
    .output(TokenInfoSchema)
    .mutation(({ ctx, input }) => restMirror.createTokenOfProvider(ctx, input)),
  listTokens: protectedProcedure
    .meta({ openapi: { method: 'GET', path: '/tokens', tags: tags.tokens, summary: 'Tokens' } })
    .input(ListTokensInput)
    .output(RestTokenListSchema)
    .query(({ ctx, input }) => restMirror.listTokensObject(ctx, input)),
  testProvider: userProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/test/{provider}',
        tags: tags.tests,
        summary: "Test the caller's token of a provider",
      },
    })
    .input(RestTestProviderInput)
    .output(RestTestResultSchema)
    .mutation(({ ctx, input }) => restMirror.testProvider(ctx, input)),
  getWorkspace: userProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/workspace/{workspaceId}',
        tags: tags.workspaces,
        summary: 'One of the caller’s workspaces',
      },
    })
    .input(WorkspaceInput)
    .output(WorkspaceSchema)
    .query(({ ctx, input }) => getWorkspace(ctx, input.workspaceId)),
});
