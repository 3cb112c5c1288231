// The OAuth device sign-in's answers as contract section 4 gives them (`oauth.start`,
// `oauth.poll`). They are called by name (the service may predate them), so every answer is
// checked here before the extension acts on it, and the verification page must be a web page.
import type { inferRouterInputs } from '@trpc/server';
import { z } from 'zod';
import type { TokenView } from '../protocol/model';
import type { AppRouter } from '../service/routers/_app';
import { ServiceError } from './client';

/** The providers of the device sign-in, as `oauth.start` takes them. */
export type OAuthProvider = inferRouterInputs<AppRouter>['oauth']['start']['provider'];

const webPage = z
  .string()
  .max(2048)
  .refine((v) => {
    try {
      const url = new URL(v);
      return url.protocol === 'https:' || url.protocol === 'http:';
    } catch {
      return false;
    }
  }, 'not a web address');

export const oauthStartSchema = z.object({
  flowId: z.string().min(1).max(200),
  userCode: z.string().min(1).max(100),
  verificationUri: webPage,
  expiresAt: z.string(),
  interval: z.number().min(0).max(600),
});
export type OAuthStart = z.infer<typeof oauthStartSchema>;

const iso = z.union([z.string(), z.null()]).optional();
/**
 * The contract's TokenInfo, checked field by field: a call by name has no router type. The fields
 * a service older than path prefixes or OAuth leaves out are optional.
 */
export const tokenInfoSchema = z.object({
  id: z.string(),
  type: z.enum(['git_token', 'ai_token']),
  provider: z.string(),
  name: z.string(),
  username: z.string().nullable().optional(),
  url: z.string().nullable().optional(),
  envVar: z.string().nullable().optional(),
  pathPrefix: z.string().max(200).nullable().optional(),
  source: z.string().max(50).optional(),
  hint: z.string(),
  expiresAt: iso,
  updatedAt: iso,
  lastTest: z
    .object({
      status: z.enum(['valid', 'invalid', 'unreachable']),
      detail: z.string().nullable().optional(),
      checkedAt: z.string(),
    })
    .nullable()
    .optional(),
});

export type TokenInfoAnswer = z.infer<typeof tokenInfoSchema>;

export const oauthPollSchema = z.object({
  status: z.enum(['pending', 'connected', 'expired', 'denied', 'error']),
  token: tokenInfoSchema.optional(),
  detail: z.string().max(1000).optional(),
});

export interface OAuthPoll {
  status: z.infer<typeof oauthPollSchema>['status'];
  token?: TokenView;
  detail?: string;
}

/** The answer if it has the contract's shape; otherwise a message the user can act on. */
export function understood<T>(schema: z.ZodType<T>, answer: unknown): T {
  const parsed = schema.safeParse(answer);
  if (parsed.success) return parsed.data;
  throw new ServiceError(
    'The credential service answered the provider sign-in in a form this extension does not understand. Update the extension or the service.',
    'other',
  );
}
