// gitCredential.get: what the in-workspace git credential helper asks for.
import { getGitCredential } from '../domain/gitCredential';
import { protectedProcedure, router } from '../trpc';
import { GitCredentialInput, GitCredentialSchema } from './schemas';

export const gitCredentialRouter = router({
  get: protectedProcedure
    .input(GitCredentialInput)
    .output(GitCredentialSchema)
    .query(({ ctx, input }) => getGitCredential(ctx, input)),
});
