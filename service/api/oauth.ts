// The contract of oauth.start and oauth.poll (CONTRACT.md section 4): the OAuth device sign-in
// to GitHub or GitLab whose token lands as a git token of that provider.
import { z } from 'zod';
import { IdSchema, NameSchema } from './common';
import { TokenInfoSchema } from './tokens';

export const OauthProviderSchema = z.enum(['github', 'gitlab'], {
  error: 'provider must be github or gitlab',
});

export const OauthStartInput = z.object({
  provider: OauthProviderSchema,
  name: NameSchema.optional(),
});

export const OauthStartSchema = z.object({
  flowId: z.string(),
  userCode: z.string(),
  verificationUri: z.string(),
  expiresAt: z.string(),
  /** Seconds to wait between polls. */
  interval: z.number(),
});

export const OauthPollInput = z.object({ flowId: IdSchema });

export const OauthPollSchema = z.object({
  status: z.enum(['pending', 'connected', 'expired', 'denied', 'error']),
  token: TokenInfoSchema.optional(),
  detail: z.string().optional(),
});

export type OauthStartInputT = z.infer<typeof OauthStartInput>;
export type OauthStart = z.infer<typeof OauthStartSchema>;
export type OauthPoll = z.infer<typeof OauthPollSchema>;
