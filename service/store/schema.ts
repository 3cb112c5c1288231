// The one Database interface of the service: every table as Kysely sees it, on SQLite and MySQL.
// Times are epoch milliseconds (BIGINT) and booleans are 0/1 integers on both dialects, so no
// row needs converting per dialect; the API turns times into ISO-8601 strings.
import type { Generated, Insertable, Selectable, Updateable } from 'kysely';
import type {
  AiProvider,
  AuditAction,
  AuditOutcome,
  GitProvider,
  Role,
  SessionKind,
  TestStatus,
} from '../vocabulary';

// The shared words come from the one vocabulary; re-exported for the store's users.
export type { AiProvider, AuditAction, AuditOutcome, GitProvider, Role, SessionKind, TestStatus };

export type CredentialType = 'ssh_key' | 'git_token' | 'ai_token';
/** SSH keys use the provider `ssh`, so the uniqueness of (user, type, provider, name) holds for them too. */
export type CredentialProvider = GitProvider | AiProvider | 'ssh';
/** How a git token came: pasted by the user, or from an OAuth device sign-in (refreshable). */
export type CredentialSource = 'pasted' | 'oauth';
/** What an SSH key is registered at a provider for. */
export type KeyUsage = 'authentication' | 'signing' | 'both';
export type OauthFlowStatus = 'pending' | 'connected' | 'expired' | 'denied' | 'error';
export type RegistrationStatus = 'registered' | 'already_registered' | 'error' | 'pending';

export interface UsersTable {
  id: string; // uuid
  username: string; // unique
  password_hash: string; // scrypt, self-describing ("scrypt$N$r$p$salt$hash")
  role: Role;
  disabled: number; // 0 | 1
  created_at: number;
  updated_at: number;
}

export interface SessionsTable {
  id: string; // uuid
  user_id: string;
  token_hash: string; // sha256 hex of the 256-bit token; the token itself is never stored
  kind: SessionKind;
  workspace_id: string | null; // the container id a workspace session is bound to
  created_at: number;
  last_used_at: number;
  expires_at: number; // sliding: last use + CREDENTIAL_SESSION_TIMEOUT
  revoked_at: number | null;
  ip_address: string | null;
  user_agent: string | null;
}

/** Per-user data keys, wrapped (AES-256-GCM) by the master key; never stored unwrapped. */
export interface DataKeysTable {
  user_id: string;
  version: number; // per user, from 1
  wrapped_key: string; // base64 of iv(12) | tag(16) | ciphertext(32)
  master_key_id: string; // which master key wraps wrapped_key
  previous_wrapped_key: string | null; // the wrap under the key rotated away from, for services still running on it
  previous_master_key_id: string | null;
  created_at: number;
  rotated_at: number | null;
}

export interface CredentialsTable {
  id: string; // uuid
  user_id: string;
  type: CredentialType;
  provider: CredentialProvider;
  name: string;
  username: string | null;
  url: string | null;
  env_var: string | null; // custom AI keys: the environment variable the key goes into
  hint: string; // '…' + last 4 characters of a token; for SSH keys the key type
  public_key: string | null; // SSH keys: OpenSSH public key with comment (not secret)
  fingerprint: string | null; // SSH keys: 'SHA256:…'
  secret_ciphertext: string; // base64
  secret_iv: string; // base64, 12 bytes, fresh per encryption
  secret_tag: string; // base64, 16 bytes
  data_key_version: number;
  /** Which associated data the secret is sealed with (crypto/keyring.ts SECRET_AAD_VERSION). */
  secret_aad_version: Generated<number>; // 1 for rows written before migration 0005
  expires_at: number | null;
  created_at: number;
  updated_at: number;
  last_used_at: number | null;
  last_test_status: TestStatus | null;
  last_test_detail: string | null;
  last_test_at: number | null;
  /** Git tokens: the repository path prefix on the host this token answers for (`acme`). */
  path_prefix: string | null;
  source: Generated<CredentialSource>;
  /** OAuth tokens: the refresh token, encrypted like the secret (its own associated data). */
  refresh_ciphertext: string | null;
  refresh_iv: string | null;
  refresh_tag: string | null;
  refresh_data_key_version: number | null;
  refresh_expires_at: number | null;
  /** When a refresh failed for good (the user must sign in again); null while all is well. */
  refresh_failed_at: number | null;
  /** Moved on by every refresh: a replica writes its refresh only if nobody did meanwhile. */
  oauth_version: Generated<number>;
}

export interface SshKeyRegistrationsTable {
  credential_id: string;
  provider: GitProvider;
  status: RegistrationStatus;
  detail: string | null;
  remote_id: string | null; // the provider's id of the key, to remove it later
  checked_at: number;
  usage: KeyUsage | null; // null: registered before usages existed (authentication)
  signing_remote_id: string | null; // GitHub keeps signing keys apart: their id there
}

export interface UserSettingsTable {
  user_id: string;
  auto_inject: number;
  audit_logging: number;
  clear_on_session_timeout: number;
  ai_key_delivery: Generated<AiKeyDelivery>;
  updated_at: number;
  commit_signing: Generated<number>;
}

/** OAuth device sign-ins in progress (oauth.start / oauth.poll), shared by all replicas. */
export interface OauthFlowsTable {
  id: string;
  user_id: string;
  provider: 'github' | 'gitlab';
  name: string;
  device_code_ciphertext: string;
  device_code_iv: string;
  device_code_tag: string;
  data_key_version: number;
  interval_seconds: number;
  next_poll_at: number;
  expires_at: number;
  status: OauthFlowStatus;
  detail: string | null;
  credential_id: string | null;
  version: Generated<number>;
  created_at: number;
}

/** How AI keys reach a workspace: through the service's gateway, or as keys in `~/.env`. */
export type AiKeyDelivery = 'gateway' | 'environment';

/** One AI gateway call: who, which provider and model, the answer's status and reported usage. */
export interface AiUsageTable {
  id: string; // uuid
  user_id: string;
  workspace_id: string | null;
  credential_id: string | null;
  provider: string;
  name: string | null; // the key's name (custom keys: the name in the path)
  model: string | null;
  status: number; // HTTP status the caller got (502/504 when the provider was not reached)
  input_tokens: number | null;
  output_tokens: number | null;
  created_at: number;
}

export interface AuditLogTable {
  id: Generated<number>; // autoincrement: the cursor of audit.list
  user_id: string | null; // null for a login attempt on an unknown username
  username: string | null;
  action: AuditAction;
  outcome: AuditOutcome;
  credential_id: string | null;
  credential_type: CredentialType | null;
  provider: string | null;
  name: string | null;
  workspace_id: string | null;
  ip_address: string | null;
  user_agent: string | null;
  detail: string | null; // never a secret
  timestamp: number;
}

/** What one injection wrote into a container, so clear removes exactly that. */
export interface WorkspaceInjectionsTable {
  id: string; // uuid
  user_id: string;
  workspace_id: string; // container id
  workspace_name: string;
  session_id: string | null; // the workspace session minted for this injection
  manifest: string; // JSON: [{path, sha256, mode}] relative to the workspace user's home
  injected_at: number;
  cleared_at: number | null;
  /** The Docker host's address (CREDENTIAL_DOCKER_HOSTS); null for rows before 0008. */
  docker_host: string | null;
}

/** Key/value rows of the service itself: schema facts and the master key check. */
export interface ServiceMetaTable {
  key: string;
  value: string;
  updated_at: number;
}

/**
 * Sign-in attempts the login limiter counts (all replicas): 'pending' while the password is being
 * checked, 'failed' after; a successful attempt is deleted with its pair's failures.
 */
export interface LoginAttemptsTable {
  id: Generated<number>;
  username: string; // lower-cased, as typed (may not exist)
  ip_address: string; // '' when unknown
  state: 'pending' | 'failed';
  attempted_at: number;
}

/** One row per username and address the limiter locks while it counts and reserves. */
export interface LoginLimitLocksTable {
  lock_key: string;
  touched_at: number;
}

export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  data_keys: DataKeysTable;
  credentials: CredentialsTable;
  ssh_key_registrations: SshKeyRegistrationsTable;
  user_settings: UserSettingsTable;
  audit_log: AuditLogTable;
  workspace_injections: WorkspaceInjectionsTable;
  service_meta: ServiceMetaTable;
  login_attempts: LoginAttemptsTable;
  login_limit_locks: LoginLimitLocksTable;
  ai_usage: AiUsageTable;
  oauth_flows: OauthFlowsTable;
}

export type UserRow = Selectable<UsersTable>;
export type SessionRow = Selectable<SessionsTable>;
export type CredentialRow = Selectable<CredentialsTable>;
export type NewCredentialRow = Insertable<CredentialsTable>;
export type CredentialUpdate = Updateable<CredentialsTable>;
export type AuditRow = Selectable<AuditLogTable>;
export type NewAuditRow = Insertable<AuditLogTable>;
export type InjectionRow = Selectable<WorkspaceInjectionsTable>;
