// The contract of tokens.* and of the REST mirror's /tokens and /test bodies: git tokens and AI
// keys, whose answers carry a hint and never the token (CONTRACT.md sections 4 and 5).
import { z } from 'zod';
import { envVarRefusal } from '../envNames';
import { forbiddenAddressReason, isLoopbackHost } from '../providers/addresses';
import { TEST_STATUSES } from '../vocabulary';
import {
  IdSchema,
  IsoDateSchema,
  NameSchema,
  plainText,
  type TokenProvider,
  TokenProviderSchema,
  type TokenType,
  TokenTypeSchema,
  tokenTypeOf,
  typeError,
} from './common';

export const TokenSecretSchema = plainText('token', 4096).refine(
  (v) => v.length > 0,
  'token must not be empty',
);

/** A provider account name (GitHub login, GitLab username, ...). */
export const AccountNameSchema = plainText('username', 255);

/**
 * Provider URLs: https, or http only to a loopback host (tests and local forges); never a
 * link-local, metadata or unspecified address (names resolving to one are refused when called).
 */
export const ProviderUrlSchema = plainText('url', 2048).superRefine((value, ctx) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'url must be a URL such as https://git.example.com' });
    return;
  }
  const forbidden = forbiddenAddressReason(url.hostname);
  if (forbidden) {
    ctx.addIssue({ code: 'custom', message: `url must not name ${forbidden}` });
    return;
  }
  if (url.protocol === 'https:') return;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return;
  ctx.addIssue({ code: 'custom', message: 'url must use https (plain http only for loopback)' });
});

/** A custom AI key's variable: only names shaped like a secret that no tool reads as a setting. */
export const EnvVarSchema = z.string({ error: typeError('envVar') }).superRefine((value, ctx) => {
  const refusal = envVarRefusal(value);
  if (refusal) ctx.addIssue({ code: 'custom', message: refusal });
});

/**
 * `acme` or `acme/tools`: owner (and sub-group) segments of a repository path on the token's
 * host. No `.`/`..` segments, no empty ones, nothing a URL would escape.
 */
export const PathPrefixSchema = z
  .string({ error: 'pathPrefix must be text' })
  .min(1, 'pathPrefix must not be empty (leave it out for every repository)')
  .max(200, 'pathPrefix must be at most 200 characters')
  .regex(
    /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/,
    "pathPrefix is a repository path such as 'acme' or 'acme/tools' (letters, digits, '.', '_', '-', '/')",
  )
  .refine(
    (v) => !v.split('/').some((s) => s === '.' || s === '..'),
    'pathPrefix must not contain . or .. segments',
  );

export const CredentialSourceSchema = z.enum(['pasted', 'oauth']);

export const TestStatusSchema = z.enum(TEST_STATUSES);

export const TokenInfoSchema = z.object({
  id: z.string(),
  type: TokenTypeSchema,
  provider: TokenProviderSchema,
  name: z.string(),
  username: z.string().nullable(),
  url: z.string().nullable(),
  envVar: z.string().nullable(),
  /** Git tokens: the repository path prefix this token answers for (`acme`), else null. */
  pathPrefix: z.string().nullable(),
  source: CredentialSourceSchema,
  hint: z.string(),
  expiresAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  lastUsedAt: z.string().nullable(),
  lastTest: z
    .object({ status: TestStatusSchema, detail: z.string(), checkedAt: z.string() })
    .nullable(),
});

export const TokenTestResultSchema = z.object({
  success: z.boolean(),
  status: TestStatusSchema,
  detail: z.string(),
  account: z.string().optional(),
  scopes: z.array(z.string()).optional(),
  expiresAt: z.string().nullable().optional(),
});

/** Rules across fields of a new token: the provider fits the type; envVar only for custom. */
function checkTokenShape(
  v: {
    type: TokenType;
    provider: TokenProvider;
    envVar?: string | undefined;
    pathPrefix?: string | undefined;
  },
  ctx: z.RefinementCtx,
): void {
  if (tokenTypeOf(v.provider) !== v.type) {
    const kind = v.type === 'git_token' ? 'a git provider' : 'an AI provider';
    ctx.addIssue({
      code: 'custom',
      path: ['provider'],
      message: `provider ${v.provider} is not ${kind}`,
    });
  }
  if (v.provider === 'custom' && !v.envVar) {
    ctx.addIssue({
      code: 'custom',
      path: ['envVar'],
      message: 'a custom AI key needs envVar, the variable it is exported as',
    });
  }
  if (v.type !== 'git_token' && v.pathPrefix !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['pathPrefix'],
      message: 'pathPrefix is only for git tokens',
    });
  }
  if (v.provider !== 'custom' && v.envVar !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['envVar'],
      message: 'envVar is only for custom AI keys',
    });
  }
}

const tokenFields = {
  provider: TokenProviderSchema,
  name: NameSchema.optional(),
  token: TokenSecretSchema,
  username: AccountNameSchema.optional(),
  url: ProviderUrlSchema.optional(),
  envVar: EnvVarSchema.optional(),
  expiresAt: IsoDateSchema.nullable().optional(),
  pathPrefix: PathPrefixSchema.optional(),
};

export const CreateTokenInput = z
  .object({ type: TokenTypeSchema, ...tokenFields })
  .superRefine(checkTokenShape);

export const ListTokensInput = z.object({ type: TokenTypeSchema.optional() }).optional();

export const UpdateTokenInput = z.object({
  id: IdSchema,
  token: TokenSecretSchema.optional(),
  username: AccountNameSchema.nullable().optional(),
  url: ProviderUrlSchema.nullable().optional(),
  name: NameSchema.optional(),
  envVar: EnvVarSchema.optional(),
  expiresAt: IsoDateSchema.nullable().optional(),
  /** null removes the prefix: the token answers for every repository on its host again. */
  pathPrefix: PathPrefixSchema.nullable().optional(),
});

// The REST mirror's bodies (the original design's shapes).

/**
 * The REST mirror's POST /tokens body (the original design's shape): the type is inferred from
 * the provider; its frontend sent `type: 'ai_provider'` for AI keys, which is accepted.
 */
export const RestCreateTokenInput = z
  .object({
    ...tokenFields,
    type: z
      .enum(['git_token', 'ai_token', 'git_provider', 'ai_provider'], {
        error: "type must be 'git_token' or 'ai_token'",
      })
      .optional(),
  })
  .superRefine((v, ctx) => {
    const type =
      v.type === undefined
        ? tokenTypeOf(v.provider)
        : v.type === 'ai_provider'
          ? 'ai_token'
          : v.type === 'git_provider'
            ? 'git_token'
            : v.type;
    checkTokenShape({ ...v, type }, ctx);
  });

export const RestTokenListSchema = z.object({ tokens: z.array(TokenInfoSchema) });

export const RestTestProviderInput = z.object({
  provider: TokenProviderSchema,
  name: NameSchema.optional(),
});

export const RestTestResultSchema = TokenTestResultSchema.extend({ error: z.string().optional() });

export type TokenInfo = z.infer<typeof TokenInfoSchema>;
export type TokenTestResult = z.infer<typeof TokenTestResultSchema>;
export type CreateTokenInputT = z.infer<typeof CreateTokenInput>;
export type UpdateTokenInputT = z.infer<typeof UpdateTokenInput>;
export type ListTokensInputT = z.infer<typeof ListTokensInput>;
export type RestCreateTokenInputT = z.infer<typeof RestCreateTokenInput>;
export type RestTokenList = z.infer<typeof RestTokenListSchema>;
export type RestTestProviderInputT = z.infer<typeof RestTestProviderInput>;
export type RestTestResult = z.infer<typeof RestTestResultSchema>;
