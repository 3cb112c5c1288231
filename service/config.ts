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
} as const;

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
    workspaceLabelSecret: e.CREDENTIAL_WORKSPACE_LABEL_SECRET,
  };
}
