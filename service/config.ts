// The service's configuration, read once from the environment (CONTRACT.md section 2) and
// validated with zod, so a bad value stops start-up with a message instead of failing later.
import { z } from 'zod';

const DEFAULTS = {
  host: '127.0.0.1',
  port: 7300,
  databaseUrl: 'sqlite:./data/credentials.db',
  sessionTimeoutSeconds: 7200,
  auditRetentionDays: 90,
  githubApiUrl: 'https://api.github.com',
  gitlabUrl: 'https://gitlab.com',
  openaiBaseUrl: 'https://api.openai.com/v1',
  anthropicBaseUrl: 'https://api.anthropic.com',
  googleAiBaseUrl: 'https://generativelanguage.googleapis.com',
  aiBodyLimitBytes: 8 * 1024 * 1024,
  aiConcurrencyPerUser: 16,
  aiIdleTimeoutSeconds: 300,
  /** Models the injected AI tool configurations name; CREDENTIAL_AI_MODELS overrides any. */
  aiModels: { openai: 'gpt-5', anthropic: 'claude-sonnet-4-5', google: 'gemini-2.5-pro' },
} as const;

const AiModelsSchema = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'CREDENTIAL_AI_MODELS must be JSON' });
      return z.NEVER;
    }
  })
  .pipe(
    z
      .object(
        {
          openai: z
            .string()
            .regex(/^[A-Za-z0-9._:/-]{1,100}$/)
            .optional(),
          anthropic: z
            .string()
            .regex(/^[A-Za-z0-9._:/-]{1,100}$/)
            .optional(),
          google: z
            .string()
            .regex(/^[A-Za-z0-9._:/-]{1,100}$/)
            .optional(),
        },
        {
          error:
            'CREDENTIAL_AI_MODELS must be a JSON object such as {"openai":"gpt-5","anthropic":"claude-sonnet-4-5","google":"gemini-2.5-pro"}',
        },
      )
      .strict(),
  );
/** A label secret shorter than this is guessable offline from one signed label. */
const WORKSPACE_LABEL_SECRET_MIN = 32;

const positiveInt = (name: string) =>
  z.coerce
    .number({ error: `${name} must be a whole number` })
    .int(`${name} must be a whole number`)
    .positive(`${name} must be greater than zero`);

const baseUrl = (name: string) =>
  z
    .url({ error: `${name} must be a URL such as https://host/path` })
    .transform((u) => u.replace(/\/+$/, ''));

const EnvSchema = z.object({
  CREDENTIAL_HOST: z.string().min(1).default(DEFAULTS.host),
  CREDENTIAL_PORT: z.coerce
    .number({ error: 'CREDENTIAL_PORT must be a port number' })
    .int()
    .min(0, 'CREDENTIAL_PORT must be between 0 and 65535')
    .max(65535, 'CREDENTIAL_PORT must be between 0 and 65535')
    .default(DEFAULTS.port),
  CREDENTIAL_DATABASE_URL: z
    .string()
    .regex(/^(sqlite:|mysql:\/\/)/, 'CREDENTIAL_DATABASE_URL must start with sqlite: or mysql://')
    .default(DEFAULTS.databaseUrl),
  CREDENTIAL_ENCRYPTION_KEY: z.string().optional(),
  CREDENTIAL_ENCRYPTION_KEY_FILE: z.string().optional(),
  CREDENTIAL_SESSION_TIMEOUT: positiveInt('CREDENTIAL_SESSION_TIMEOUT').default(
    DEFAULTS.sessionTimeoutSeconds,
  ),
  CREDENTIAL_AUDIT_RETENTION_DAYS: positiveInt('CREDENTIAL_AUDIT_RETENTION_DAYS').default(
    DEFAULTS.auditRetentionDays,
  ),
  CREDENTIAL_TLS_CERT: z.string().optional(),
  CREDENTIAL_TLS_KEY: z.string().optional(),
  CREDENTIAL_PUBLIC_URL: baseUrl('CREDENTIAL_PUBLIC_URL').optional(),
  DOCKER_HOST: z.string().optional(),
  GITHUB_API_URL: baseUrl('GITHUB_API_URL').default(DEFAULTS.githubApiUrl),
  GITLAB_URL: baseUrl('GITLAB_URL').default(DEFAULTS.gitlabUrl),
  OPENAI_BASE_URL: baseUrl('OPENAI_BASE_URL').default(DEFAULTS.openaiBaseUrl),
  ANTHROPIC_BASE_URL: baseUrl('ANTHROPIC_BASE_URL').default(DEFAULTS.anthropicBaseUrl),
  GOOGLE_AI_BASE_URL: baseUrl('GOOGLE_AI_BASE_URL').default(DEFAULTS.googleAiBaseUrl),
  CREDENTIAL_AI_BODY_LIMIT: positiveInt('CREDENTIAL_AI_BODY_LIMIT').default(
    DEFAULTS.aiBodyLimitBytes,
  ),
  CREDENTIAL_AI_CONCURRENCY: positiveInt('CREDENTIAL_AI_CONCURRENCY').default(
    DEFAULTS.aiConcurrencyPerUser,
  ),
  CREDENTIAL_AI_IDLE_TIMEOUT: z.coerce
    .number({ error: 'CREDENTIAL_AI_IDLE_TIMEOUT must be a number of seconds' })
    .positive('CREDENTIAL_AI_IDLE_TIMEOUT must be greater than zero')
    .default(DEFAULTS.aiIdleTimeoutSeconds),
  CREDENTIAL_AI_MODELS: AiModelsSchema.optional(),
  CREDENTIAL_WORKSPACE_LABEL_SECRET: z
    .string()
    .min(
      WORKSPACE_LABEL_SECRET_MIN,
      `CREDENTIAL_WORKSPACE_LABEL_SECRET must be at least ${WORKSPACE_LABEL_SECRET_MIN} characters (e.g. openssl rand -hex 32)`,
    )
    .regex(
      /^[\x21-\x7e]+$/,
      'CREDENTIAL_WORKSPACE_LABEL_SECRET must be printable ASCII without spaces',
    )
    .optional(),
});

export interface ProviderUrls {
  githubApiUrl: string;
  gitlabUrl: string;
  openaiBaseUrl: string;
  anthropicBaseUrl: string;
  googleAiBaseUrl: string;
}

export interface Config {
  host: string;
  port: number;
  databaseUrl: string;
  /** Master key as given (hex), or the file holding it; resolved by crypto/masterKey.ts. */
  encryptionKey: string | undefined;
  encryptionKeyFile: string | undefined;
  sessionTimeoutSeconds: number;
  auditRetentionDays: number;
  tls: { cert: string; key: string } | undefined;
  publicUrl: string | undefined;
  dockerHost: string | undefined;
  providers: ProviderUrls;
  /**
   * When set, a container is a user's only if its xaresaicoder.owner-sig label is the HMAC of
   * owner and name under this secret (service/workspaces/ownership.ts).
   */
  workspaceLabelSecret: string | undefined;
  gateway: GatewayLimits;
  /** The model each AI tool configuration names, per provider. */
  aiModels: AiModels;
}

export interface AiModels {
  openai: string;
  anthropic: string;
  google: string;
}

/** Limits of the AI gateway (/ai/...). */
export interface GatewayLimits {
  /** Largest request body of an AI call (prompts carry files), far above the API's 64 KiB. */
  bodyLimitBytes: number;
  /** Calls one user may have in flight at once; more answer 429. */
  concurrencyPerUser: number;
  /** Silence from the provider (or the caller) that ends a call; a flowing stream never ends. */
  idleTimeoutMs: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Reads the configuration from an environment (process.env by default); throws ConfigError. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty variables count as unset, as operators expect from `FOO=` in an env file.
  const present = Object.fromEntries(
    Object.entries(env).filter(([, v]) => v !== undefined && v !== ''),
  );
  const parsed = EnvSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const e = parsed.data;
  if (Boolean(e.CREDENTIAL_TLS_CERT) !== Boolean(e.CREDENTIAL_TLS_KEY)) {
    throw new ConfigError('CREDENTIAL_TLS_CERT and CREDENTIAL_TLS_KEY must be set together');
  }
  return {
    host: e.CREDENTIAL_HOST,
    port: e.CREDENTIAL_PORT,
    databaseUrl: e.CREDENTIAL_DATABASE_URL,
    encryptionKey: e.CREDENTIAL_ENCRYPTION_KEY,
    encryptionKeyFile: e.CREDENTIAL_ENCRYPTION_KEY_FILE,
    sessionTimeoutSeconds: e.CREDENTIAL_SESSION_TIMEOUT,
    auditRetentionDays: e.CREDENTIAL_AUDIT_RETENTION_DAYS,
    tls:
      e.CREDENTIAL_TLS_CERT && e.CREDENTIAL_TLS_KEY
        ? { cert: e.CREDENTIAL_TLS_CERT, key: e.CREDENTIAL_TLS_KEY }
        : undefined,
    publicUrl: e.CREDENTIAL_PUBLIC_URL,
    dockerHost: e.DOCKER_HOST,
    providers: {
      githubApiUrl: e.GITHUB_API_URL,
      gitlabUrl: e.GITLAB_URL,
      openaiBaseUrl: e.OPENAI_BASE_URL,
      anthropicBaseUrl: e.ANTHROPIC_BASE_URL,
      googleAiBaseUrl: e.GOOGLE_AI_BASE_URL,
    },
    gateway: {
      bodyLimitBytes: e.CREDENTIAL_AI_BODY_LIMIT,
      concurrencyPerUser: e.CREDENTIAL_AI_CONCURRENCY,
      idleTimeoutMs: Math.round(e.CREDENTIAL_AI_IDLE_TIMEOUT * 1000),
    },
    aiModels: { ...DEFAULTS.aiModels, ...e.CREDENTIAL_AI_MODELS },
    workspaceLabelSecret: e.CREDENTIAL_WORKSPACE_LABEL_SECRET,
  };
}
