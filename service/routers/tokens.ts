// tokens.*: git tokens and AI keys; answers carry a hint, never the token.
import { createToken, deleteToken, listTokens, testToken, updateToken } from '../domain/tokens';
import { protectedProcedure, router, userProcedure } from '../trpc';
import { ByIdInput, OkSchema } from '../api/common';
import {
  CreateTokenInput,
  ListTokensInput,
  TokenInfoSchema,
  TokenTestResultSchema,
  UpdateTokenInput,
} from '../api/tokens';

export const tokensRouter = router({
  create: userProcedure
    .input(CreateTokenInput)
    .output(TokenInfoSchema)
    .mutation(({ ctx, input }) => createToken(ctx, input)),
  // The hottest call of the service: no output parser here (one middleware level less per
  // request); toTokenInfo builds each answer field by field, and the type still reaches the client.
  list: protectedProcedure
    .input(ListTokensInput)
    .query(({ ctx, input }) => listTokens(ctx, input?.type)),
  update: userProcedure
    .meta({
      openapi: { method: 'PUT', path: '/tokens/{id}', tags: ['tokens'], summary: 'Change a token' },
    })
    .input(UpdateTokenInput)
    .output(TokenInfoSchema)
    .mutation(({ ctx, input }) => updateToken(ctx, input)),
  delete: userProcedure
    .meta({
      openapi: {
        method: 'DELETE',
        path: '/tokens/{id}',
        tags: ['tokens'],
        summary: 'Delete a token',
      },
    })
    .input(ByIdInput)
    .output(OkSchema)
    .mutation(({ ctx, input }) => deleteToken(ctx, input.id)),
  test: userProcedure
    .input(ByIdInput)
    .output(TokenTestResultSchema)
    .mutation(({ ctx, input }) => testToken(ctx, input.id)),
});
