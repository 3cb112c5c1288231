// The REST mirror's own procedures (CONTRACT.md section 4): the original design's paths and body
// shapes where they differ from the tRPC ones. Thin adapters over the same domain functions; the
// procedures whose shapes match carry their REST path in their own meta (see sshKeys.ts, tokens.ts).
import { z } from 'zod';
import { generateSshKey, importSshKey, listSshKeys, replaceSshKey } from '../domain/sshKeys';
import { createToken, listTokens, testProviderToken } from '../domain/tokens';
import { getWorkspace } from '../domain/workspaces';
import { protectedProcedure, router, userProcedure } from '../trpc';
import {
  ListTokensInput,
  RestCreateSshKeyInput,
  RestCreateTokenInput,
  RestReplaceSshKeyInput,
  RestTestProviderInput,
  RestTestResultSchema,
  SshKeySchema,
  TokenInfoSchema,
  tokenTypeOf,
  WorkspaceInput,
  WorkspaceSchema,
} from './schemas';

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
    .mutation(({ ctx, input }) => {
      const body = input ?? {};
      if (body.privateKey !== undefined) {
        return importSshKey(ctx, {
          name: body.name,
          privateKey: body.privateKey,
          passphrase: body.passphrase,
        });
      }
      return generateSshKey(ctx, { name: body.name, comment: body.comment, replace: body.replace });
    }),
  listSshKeys: protectedProcedure
    .meta({
      openapi: { method: 'GET', path: '/ssh-keys', tags: tags.sshKeys, summary: 'SSH keys' },
    })
    .input(z.object({}).optional())
    .output(z.object({ keys: z.array(SshKeySchema) }))
    .query(async ({ ctx }) => ({ keys: await listSshKeys(ctx) })),
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
    .mutation(({ ctx, input }) => {
      const { id, ...rest } = input;
      return replaceSshKey(ctx, id, rest);
    }),
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
    .mutation(({ ctx, input }) => {
      const { type: _given, ...rest } = input;
      return createToken(ctx, { ...rest, type: tokenTypeOf(input.provider) });
    }),
  listTokens: protectedProcedure
    .meta({ openapi: { method: 'GET', path: '/tokens', tags: tags.tokens, summary: 'Tokens' } })
    .input(ListTokensInput)
    .output(z.object({ tokens: z.array(TokenInfoSchema) }))
    .query(async ({ ctx, input }) => ({ tokens: await listTokens(ctx, input?.type) })),
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
    .mutation(async ({ ctx, input }) => {
      const result = await testProviderToken(ctx, input.provider, input.name);
      return result.success ? result : { ...result, error: result.detail };
    }),
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
