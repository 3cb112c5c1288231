// The service's configuration, read once from the environment (CONTRACT.md section 2) and
// validated with zod, so a bad value stops start-up with a message instead of failing later.
import { isIP } from 'node:net';
import { z } from 'zod';

const DEFAULTS = {
  host: '127.0.0.1',
  port: 7300,
  databaseUrl: 'sqlite:./data/credentials.db',
  sessionTimeoutSeconds: 7200,
  auditRetentionDays: 90,
  githubApiUrl: 'https://api.github.com',
  gitlabUrl: 'https://gitlab.com',
  githubUrl: 'https://github.com',
  openaiBaseUrl: 'https://api.openai.com/v1',
  anthropicBaseUrl: 'https://api.anthropic.com',
  googleAiBaseUrl: 'https://generativelanguage.googleapis.com',
  aiBodyLimitBytes: 8 * 1024 * 1024,
  aiConcurrencyPerUser: 16,
  aiIdleTimeoutSeconds: 300,
  /**
   * Models the injected AI tool configurations name; CREDENTIAL_AI_MODELS overrides any. Each is
   * the default of the tool's current release (.ci/ai-tools pins them): Claude Code's Sonnet,
   * Codex's first listed model, Gemini CLI's DEFAULT_GEMINI_MODEL. test/service/gateway/cli.test.ts
   * fails when a tool warns that one is retired or unknown.
   */
  aiModels: { openai: 'gpt-6.2-sol', anthropic: 'claude-sonnet-5-5', google: 'gemini-2.5-pro' },
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
            'CREDENTIAL_AI_MODELS must be a JSON object such as {"openai":"gpt-6.2-sol","anthropic":"claude-sonnet-5-5","google":"gemini-2.5-pro"}',
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
  CREDENTIAL_TRUSTED_PROXIES: z.string().optional(),
  CREDENTIAL_DOCKER_HOSTS: z.string().optional(),
  DOCKER_CERT_PATH: z.string().optional(),
  DOCKER_TLS_VERIFY: z.string().optional(),
  GITHUB_API_URL: baseUrl('GITHUB_API_URL').default(DEFAULTS.githubApiUrl),
  GITLAB_URL: baseUrl('GITLAB_URL').default(DEFAULTS.gitlabUrl),
  GITHUB_URL: baseUrl('GITHUB_URL').default(DEFAULTS.githubUrl),
  GITHUB_OAUTH_CLIENT_ID: z.string().max(200).optional(),
  GITLAB_OAUTH_CLIENT_ID: z.string().max(200).optional(),
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
  /** Reverse proxies (addresses, CIDR ranges) whose X-Forwarded-For is believed; none by default. */
  trustedProxies: TrustedProxy[];
  /** Every engine whose workspaces are served (CREDENTIAL_DOCKER_HOSTS, else DOCKER_HOST). */
  dockerHosts: DockerHostAddress[];
  providers: ProviderUrls;
  /**
   * When set, a container is a user's only if its xaresaicoder.owner-sig label is the HMAC of
   * owner and name under this secret (service/workspaces/ownership.ts).
   */
  workspaceLabelSecret: string | undefined;
  gateway: GatewayLimits;
  /** The model each AI tool configuration names, per provider. */
  aiModels: AiModels;
  /** OAuth device sign-in: GitHub's web root and the OAuth apps' client ids (none: pasted only). */
  oauth: OauthConfig;
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

export interface OauthConfig {
  githubUrl: string;
  githubClientId: string | undefined;
  gitlabClientId: string | undefined;
}

/**
 * One Docker engine: `name` is its address without options, as records, logs and /readyz show
 * it; `tlsDir` holds ca.pem, cert.pem and key.pem (Docker's DOCKER_CERT_PATH layout).
 */
export interface DockerHostAddress {
  name: string;
  socketPath?: string;
  host?: string;
  port?: number;
  /** TLS to the engine: with tlsDir, its CA and a client certificate; else the system CAs. */
  tls?: boolean;
  tlsDir?: string;
}

const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';

/**
 * One entry of CREDENTIAL_DOCKER_HOSTS: unix:///path, tcp://host:port (plain, as behind a socket
 * proxy) or tcp://host:port?tls=/cert/dir (TLS, the server checked against the directory's CA
 * and the client presenting its certificate). http:// is read as tcp://, https:// as TLS
 * checked against the system's CAs.
 */
export function parseDockerHostAddress(raw: string, tlsDir?: string): DockerHostAddress {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(
      `Docker host "${raw}" is not an address such as unix:///var/run/docker.sock or tcp://host:2376?tls=/certs`,
    );
  }
  if (url.protocol === 'unix:') {
    if (!url.pathname || url.pathname === '/')
      throw new ConfigError(`Docker host "${raw}" names no socket path`);
    return { name: `unix://${url.pathname}`, socketPath: url.pathname };
  }
  if (!['tcp:', 'http:', 'https:'].includes(url.protocol) || !url.hostname) {
    throw new ConfigError(
      `Docker host "${raw}": use unix:///path/docker.sock, tcp://host:2375 or tcp://host:2376?tls=/cert/dir`,
    );
  }
  const options = [...url.searchParams.keys()].filter((k) => k !== 'tls');
  if (options.length > 0) {
    throw new ConfigError(
      `Docker host "${raw}": unknown option ${options.join(', ')} (only tls=/cert/dir)`,
    );
  }
  const dir = url.searchParams.get('tls') ?? tlsDir;
  if (dir !== undefined && !dir.startsWith('/')) {
    throw new ConfigError(
      `Docker host "${raw}": tls= needs an absolute directory holding ca.pem, cert.pem and key.pem`,
    );
  }
  const tls = dir !== undefined || url.protocol === 'https:';
  const port = Number(url.port || (tls ? 2376 : 2375));
  // WHATWG URLs keep an IPv6 host in brackets, as the name shows it and sockets do not take it.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return {
    name: `tcp://${url.hostname}:${port}`,
    host,
    port,
    tls,
    ...(dir !== undefined ? { tlsDir: dir } : {}),
  };
}

function dockerHostsOf(e: {
  CREDENTIAL_DOCKER_HOSTS?: string;
  DOCKER_HOST?: string;
  DOCKER_CERT_PATH?: string;
  DOCKER_TLS_VERIFY?: string;
}): DockerHostAddress[] {
  if (e.CREDENTIAL_DOCKER_HOSTS === undefined) {
    // The one engine of DOCKER_HOST, with Docker's own TLS variables when they ask for TLS.
    const tls = e.DOCKER_TLS_VERIFY && e.DOCKER_TLS_VERIFY !== '0' ? e.DOCKER_CERT_PATH : undefined;
    return [parseDockerHostAddress(e.DOCKER_HOST ?? `unix://${DEFAULT_DOCKER_SOCKET}`, tls)];
  }
  const entries = e.CREDENTIAL_DOCKER_HOSTS.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (entries.length === 0) throw new ConfigError('CREDENTIAL_DOCKER_HOSTS names no Docker host');
  const hosts = entries.map((raw) => parseDockerHostAddress(raw));
  const names = hosts.map((h) => h.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new ConfigError(`CREDENTIAL_DOCKER_HOSTS names ${twice} twice`);
  return hosts;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** One entry of CREDENTIAL_TRUSTED_PROXIES: an address, or a range when prefix is set. */
export interface TrustedProxy {
  address: string;
  prefix: number | undefined;
  type: 'ipv4' | 'ipv6';
}

/** Parses `10.0.0.1, 10.1.0.0/16 fd00::/8` (commas or spaces); throws on an entry that is neither. */
export function parseTrustedProxies(text: string): TrustedProxy[] {
  return text
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((entry) => {
      const [address = '', prefix, extra] = entry.split('/');
      const family = isIP(address);
      const bits = prefix === undefined ? undefined : Number(prefix);
      if (
        family === 0 ||
        extra !== undefined ||
        (prefix !== undefined && !/^\d{1,3}$/.test(prefix)) ||
        (bits !== undefined && bits > (family === 4 ? 32 : 128))
      ) {
        throw new Error(`'${entry}' is not an IP address or a CIDR range such as 10.0.0.0/8`);
      }
      return { address, prefix: bits, type: family === 4 ? 'ipv4' : 'ipv6' };
    });
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
  let trustedProxies: TrustedProxy[] = [];
  try {
    trustedProxies = parseTrustedProxies(e.CREDENTIAL_TRUSTED_PROXIES ?? '');
  } catch (err) {
    throw new ConfigError(`CREDENTIAL_TRUSTED_PROXIES: ${(err as Error).message}`);
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
    trustedProxies,
    dockerHosts: dockerHostsOf(e),
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
    oauth: {
      githubUrl: e.GITHUB_URL,
      githubClientId: e.GITHUB_OAUTH_CLIENT_ID,
      gitlabClientId: e.GITLAB_OAUTH_CLIENT_ID,
    },
    workspaceLabelSecret: e.CREDENTIAL_WORKSPACE_LABEL_SECRET,
  };
}
