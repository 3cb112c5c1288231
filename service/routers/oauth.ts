// oauth.start / oauth.poll: OAuth device sign-in to GitHub or GitLab (user sessions only).
import { pollOauth, startOauth } from '../domain/oauth';
import { router, userProcedure } from '../trpc';
import { OauthPollInput, OauthPollSchema, OauthStartInput, OauthStartSchema } from '../api/oauth';

export const oauthRouter = router({
  start: userProcedure
    .input(OauthStartInput)
    .output(OauthStartSchema)
    .mutation(({ ctx, input }) => startOauth(ctx, input)),
  poll: userProcedure
    .input(OauthPollInput)
    .output(OauthPollSchema)
    .query(({ ctx, input }) => pollOauth(ctx, input.flowId)),
});
