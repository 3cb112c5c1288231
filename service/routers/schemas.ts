// The zod schemas of the HTTP surface (CONTRACT.md section 4 with the limits of section 5): every
// procedure's input and output, shared by the tRPC routers, the REST mirror and the OpenAPI doc.
import { z } from 'zod';
import { envVarRefusal } from '../envNames';
import { forbiddenAddressReason, isLoopbackHost } from '../providers/addresses';
import { CredentialSourceSchema, KeyUsageSchema, PathPrefixSchema } from './gitSchemas';
import { AI_PROVIDERS, AUDIT_ACTIONS, GIT_PROVIDERS } from '../vocabulary';

export { AI_PROVIDERS, GIT_PROVIDERS };

// ---------------------------------------------------------------------------------------------
// Building blocks
// ---------------------------------------------------------------------------------------------

/** C0 control characters and DEL: CR, LF and NUL would let a value break out of headers, files or logs. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point here
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/** The message for a missing or mistyped field: "token is required" / "token must be text". */
function typeError(field: string, kind = 'text') {
  return (issue: { input?: unknown }) =>
    issue.input === undefined ? `${field} is required` : `${field} must be ${kind}`;
}

/** A string without control characters, with a limit and messages that name the field. */
function plainText(field: string, max: number) {
  return z
    .string({ error: typeError(field) })
    .max(max, `${field} must be at most ${max} characters`)
    .refine((v) => !CONTROL_CHARACTERS.test(v), `${field} must not contain control characters`);
}

export const NAME_PATTERN = /^[A-Za-z0-9._-]+$/;

export const NameSchema = z
  .string({ error: typeError('name') })
  .min(1, 'name must not be empty')
  .max(100, 'name must be at most 100 characters')
  .regex(NAME_PATTERN, "name may contain only letters, digits, '.', '_' and '-'");

export const IdSchema = z
  .string({ error: typeError('id') })
  .min(1, 'id must not be empty')
  .max(36, 'id must be at most 36 characters')
  .regex(/^[A-Za-z0-9-]+$/, 'id is not a valid id');

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

const IsoDateSchema = z.iso.datetime({
  offset: true,
  error: 'must be an ISO-8601 date-time such as 2026-12-31T00:00:00Z',
});

export const GitProviderSchema = z.enum(GIT_PROVIDERS, {
  error: 'provider must be one of github, gitlab, forgejo',
});
export const AiProviderSchema = z.enum(AI_PROVIDERS, {
  error: 'provider must be one of openai, anthropic, google, custom',
});
export const TokenProviderSchema = z.enum([...GIT_PROVIDERS, ...AI_PROVIDERS], {
  error: 'provider must be one of github, gitlab, forgejo, openai, anthropic, google, custom',
});
export const TokenTypeSchema = z.enum(['git_token', 'ai_token'], {
  error: "type must be 'git_token' or 'ai_token'",
});

export type GitProvider = z.infer<typeof GitProviderSchema>;
export type AiProvider = z.infer<typeof AiProviderSchema>;
export type TokenProvider = z.infer<typeof TokenProviderSchema>;
export type TokenType = z.infer<typeof TokenTypeSchema>;

export function tokenTypeOf(provider: TokenProvider): TokenType {
  return (GIT_PROVIDERS as readonly string[]).includes(provider) ? 'git_token' : 'ai_token';
}

const EmptyInput = z.object({}).optional();

// ---------------------------------------------------------------------------------------------
// Outputs
// ---------------------------------------------------------------------------------------------

export const RoleSchema = z.enum(['admin', 'user']);
export const UserSchema = z.object({ id: z.string(), username: z.string(), role: RoleSchema });
export const OkSchema = z.object({ ok: z.literal(true) });

export const RegistrationSchema = z.object({
  provider: GitProviderSchema,
  status: z.enum(['registered', 'already_registered', 'error', 'pending']),
  detail: z.string().nullable(),
  checkedAt: z.string(),
  /** What the key was registered for (authentication when registered before usages existed). */
  usage: KeyUsageSchema,
});

export const SshKeySchema = z.object({
  id: z.string(),
  name: z.string(),
  keyType: z.string(),
  publicKey: z.string(),
  fingerprint: z.string(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  registrations: z.array(RegistrationSchema),
});

export const TestStatusSchema = z.enum(['valid', 'invalid', 'unreachable']);

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

export const RegisterResultSchema = z.object({
  provider: GitProviderSchema,
  status: z.enum(['registered', 'already_registered', 'error']),
  detail: z.string(),
});

export const SettingsSchema = z.object({
  autoInject: z.boolean(),
  auditLogging: z.boolean(),
  clearOnSessionTimeout: z.boolean(),
  aiKeyDelivery: z.enum(['gateway', 'environment']),
  commitSigning: z.boolean(),
});

export const AuditActionSchema = z.enum(AUDIT_ACTIONS);

export const AuditEntrySchema = z.object({
  id: z.number(),
  action: AuditActionSchema,
  outcome: z.enum(['success', 'failure', 'denied']),
  credentialId: z.string().nullable(),
  credentialType: z.enum(['ssh_key', 'git_token', 'ai_token']).nullable(),
  provider: z.string().nullable(),
  name: z.string().nullable(),
  workspaceId: z.string().nullable(),
  ipAddress: z.string().nullable(),
  userAgent: z.string().nullable(),
  detail: z.string().nullable(),
  timestamp: z.string(),
  /** Part of a burst of one action from one address (more than 50 within an hour). */
  suspicious: z.boolean(),
});

export const AuditPageSchema = z.object({
  entries: z.array(AuditEntrySchema),
  nextCursor: z.number().nullable(),
  /** Bursts within the last hour; empty when nothing looks unusual. */
  suspicious: z.array(
    z.object({ action: AuditActionSchema, ipAddress: z.string().nullable(), count: z.number() }),
  ),
});

export const WorkspaceSchema = z.object({
  id: z.string(),
  name: z.string(),
  state: z.string(),
  injectedAt: z.string().nullable(),
});

export const InjectResultSchema = z.object({
  injected: z.literal(true),
  workspaceId: z.string(),
  files: z.array(z.string()),
  /** One sentence per dotfile the injection left alone, saying why (absent when none). */
  notes: z.array(z.string()).optional(),
});
export const ClearResultSchema = z.object({ cleared: z.literal(true), files: z.array(z.string()) });
export const ClearAllResultSchema = z.object({
  deleted: z.number(),
  workspacesCleared: z.number(),
});

export const GitCredentialSchema = z.object({
  username: z.string(),
  password: z.string(),
  /** When the token stops working, in seconds since 1970 (git's `password_expiry_utc`). */
  passwordExpiryUtc: z.number().int().optional(),
});

export const LoginResultSchema = z.object({
  token: z.string(),
  expiresAt: z.string(),
  user: UserSchema,
});

export const MeSchema = z.object({
  id: z.string(),
  username: z.string(),
  role: RoleSchema,
  sessionKind: z.enum(['user', 'workspace']),
  workspaceId: z.string().nullable(),
});

export type User = z.infer<typeof UserSchema>;
export type SshKey = z.infer<typeof SshKeySchema>;
export type SshKeyRegistration = z.infer<typeof RegistrationSchema>;
export type TokenInfo = z.infer<typeof TokenInfoSchema>;
export type TokenTestResult = z.infer<typeof TokenTestResultSchema>;
export type RegisterResult = z.infer<typeof RegisterResultSchema>;
export type Settings = z.infer<typeof SettingsSchema>;
export type AuditEntry = z.infer<typeof AuditEntrySchema>;
export type AuditPage = z.infer<typeof AuditPageSchema>;
export type Workspace = z.infer<typeof WorkspaceSchema>;
export type InjectResult = z.infer<typeof InjectResultSchema>;
export type ClearResult = z.infer<typeof ClearResultSchema>;
export type ClearAllResult = z.infer<typeof ClearAllResultSchema>;
export type GitCredential = z.infer<typeof GitCredentialSchema>;
export type LoginResult = z.infer<typeof LoginResultSchema>;
export type Me = z.infer<typeof MeSchema>;

// ---------------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------------

export const LoginInput = z.object({
  username: plainText('username', 100).refine((v) => v.length > 0, 'username must not be empty'),
  password: z
    .string({ error: typeError('password') })
    .min(1, 'password must not be empty')
    .max(1024, 'password must be at most 1024 characters'),
});
export const LogoutInput = EmptyInput;

export const GenerateSshKeyInput = z
  .object({
    name: NameSchema.optional(),
    comment: plainText('comment', 200).optional(),
    replace: z.boolean({ error: 'replace must be true or false' }).optional(),
  })
  .optional();
export const ImportSshKeyInput = z.object({
  name: NameSchema.optional(),
  privateKey: z
    .string({ error: typeError('privateKey') })
    .min(1, 'privateKey must not be empty')
    .max(16384, 'privateKey must be at most 16384 characters'),
  passphrase: z
    .string({ error: typeError('passphrase') })
    .max(1024, 'passphrase must be at most 1024 characters')
    .optional(),
});
export const SshKeyByNameInput = z.object({ name: NameSchema });
export const ByIdInput = z.object({ id: IdSchema });
export const RegisterSshKeyInput = z.object({
  id: IdSchema,
  provider: GitProviderSchema,
  usage: KeyUsageSchema.optional(),
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

export const SettingsUpdateInput = z.object({
  autoInject: z.boolean({ error: 'autoInject must be true or false' }).optional(),
  auditLogging: z.boolean({ error: 'auditLogging must be true or false' }).optional(),
  clearOnSessionTimeout: z
    .boolean({ error: 'clearOnSessionTimeout must be true or false' })
    .optional(),
  aiKeyDelivery: z
    .enum(['gateway', 'environment'], { error: "aiKeyDelivery must be 'gateway' or 'environment'" })
    .optional(),
  commitSigning: z.boolean({ error: 'commitSigning must be true or false' }).optional(),
});

export const AuditListInput = z
  .object({
    limit: z
      .number({ error: typeError('limit', 'a number') })
      .int('limit must be a whole number')
      .min(1, 'limit must be at least 1')
      .max(1000, 'limit must be at most 1000')
      .optional(),
    before: z
      .number({ error: typeError('before', 'a number') })
      .int('before must be a whole number')
      .positive()
      .optional(),
    action: AuditActionSchema.optional(),
  })
  .optional();

export const AuditExportInput = z.object({
  format: z.enum(['json', 'csv'], { error: "format must be 'json' or 'csv'" }),
  since: IsoDateSchema.optional(),
});
export const AuditExportSchema = z.object({ format: z.enum(['json', 'csv']), content: z.string() });
export type AuditExport = z.infer<typeof AuditExportSchema>;

/** Docker container ids or names, as the user sees them. */
export const WorkspaceIdSchema = z
  .string({ error: typeError('workspaceId') })
  .min(1, 'workspaceId must not be empty')
  .max(128, 'workspaceId must be at most 128 characters')
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'workspaceId is not a valid container id or name');
export const WorkspaceInput = z.object({ workspaceId: WorkspaceIdSchema });

export const GitCredentialInput = z.object({
  protocol: plainText('protocol', 20).refine((v) => v.length > 0, 'protocol must not be empty'),
  host: plainText('host', 300).refine((v) => v.length > 0, 'host must not be empty'),
  path: plainText('path', 2048).optional(),
});

export type CreateTokenInputT = z.infer<typeof CreateTokenInput>;
export type UpdateTokenInputT = z.infer<typeof UpdateTokenInput>;
export type GenerateSshKeyInputT = NonNullable<z.infer<typeof GenerateSshKeyInput>>;
export type ImportSshKeyInputT = z.infer<typeof ImportSshKeyInput>;
export type SettingsUpdateInputT = z.infer<typeof SettingsUpdateInput>;
export type AuditListInputT = NonNullable<z.infer<typeof AuditListInput>>;
export type AuditExportInputT = z.infer<typeof AuditExportInput>;
export type GitCredentialInputT = z.infer<typeof GitCredentialInput>;

// ---------------------------------------------------------------------------------------------
// REST mirror only (the original design's bodies)
// ---------------------------------------------------------------------------------------------

export const RestCreateSshKeyInput = z
  .object({
    name: NameSchema.optional(),
    comment: plainText('comment', 200).optional(),
    replace: z.boolean({ error: 'replace must be true or false' }).optional(),
    type: z.literal('ed25519', { error: 'only ed25519 keys are generated' }).optional(),
    privateKey: ImportSshKeyInput.shape.privateKey.optional(),
    passphrase: ImportSshKeyInput.shape.passphrase,
  })
  .optional();

export const RestReplaceSshKeyInput = z.object({
  id: IdSchema,
  comment: plainText('comment', 200).optional(),
  privateKey: ImportSshKeyInput.shape.privateKey.optional(),
  passphrase: ImportSshKeyInput.shape.passphrase,
});

export const RestTestProviderInput = z.object({
  provider: TokenProviderSchema,
  name: NameSchema.optional(),
});

export const RestTestResultSchema = TokenTestResultSchema.extend({ error: z.string().optional() });

export type RestTestResult = z.infer<typeof RestTestResultSchema>;
