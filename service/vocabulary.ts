// The service's shared words, declared once: providers, roles, session kinds, audit actions and
// test statuses. Dependency-free on purpose, so that every layer (store, providers, domain, the
// API schemas) can import it, and the extension's protocol/ and webview/ can take its types with
// `import type` without pulling any service code into their bundles.

export const GIT_PROVIDERS = ['github', 'gitlab', 'forgejo'] as const;
export type GitProvider = (typeof GIT_PROVIDERS)[number];

export const AI_PROVIDERS = ['openai', 'anthropic', 'google', 'custom'] as const;
export type AiProvider = (typeof AI_PROVIDERS)[number];

export const ROLES = ['admin', 'user'] as const;
export type Role = (typeof ROLES)[number];

/** `gateway`: a workspace's AI gateway token, accepted by the gateway alone. */
export const SESSION_KINDS = ['user', 'workspace', 'gateway'] as const;
export type SessionKind = (typeof SESSION_KINDS)[number];

export const TEST_STATUSES = ['valid', 'invalid', 'unreachable'] as const;
export type TestStatus = (typeof TEST_STATUSES)[number];

export const AUDIT_OUTCOMES = ['success', 'failure', 'denied'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/** Every action the audit trail can record (contract section 4, plus the service's own). */
export const AUDIT_ACTIONS = [
  'create',
  'read',
  'update',
  'delete',
  'inject',
  'test',
  'register',
  'login',
  'logout',
  'export',
  'clear',
  'rotate',
  'user_add',
  'user_disable',
  'settings',
  'restore',
  'ai_request',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];
