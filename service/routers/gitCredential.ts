// gitCredential.get: what the in-workspace git credential helper asks for.
import { getGitCredential } from '../domain/gitCredential';
import { protectedProcedure, router } from '../trpc';
import { GitCredentialInput, GitCredentialSchema } from '../api/gitCredential';

export const gitCredentialRouter = router({
  get: protectedProcedure
    .input(GitCredentialInput)
    .output(GitCredentialSchema)
    .query(({ ctx, input }) => getGitCredential(ctx, input)),
});
