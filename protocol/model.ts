// What the Credentials view shows, as plain JSON the host sends to the webview. Mirrors the
// contract's SshKey/TokenInfo/AuditEntry shapes minus anything secret: a token appears only as
// its hint, and a private key never appears at all. The shared words (providers, session kinds,
// audit actions) are the service's own, taken from its vocabulary by `import type` only, so the
// compiler says when the service learns a word the view does not know.
import type {
  AiProvider,
  AuditAction,
  AuditOutcome,
  GitProvider,
  SessionKind,
  TestStatus,
} from '../service/vocabulary';

export type { AiProvider, AuditAction, GitProvider, SessionKind, TestStatus };
export type TokenKind = 'git_token' | 'ai_token';

/** What an SSH key is registered at a provider for (contract section 4, `sshKeys.register`). */
export type KeyUsage = 'authentication' | 'signing' | 'both';
export const KEY_USAGES: readonly KeyUsage[] = ['authentication', 'signing', 'both'];

export interface Registration {
  provider: string;
  status: string;
  checkedAt: string | null;
  /** null: the service does not record usages (an older release: authentication only). */
  usage: KeyUsage | null;
}

export interface SshKeyView {
  id: string;
  name: string;
  publicKey: string;
  fingerprint: string;
  createdAt: string;
  registrations: Registration[];
}

export interface LastTest {
  status: TestStatus;
  detail: string;
  checkedAt: string;
}

export interface TokenView {
  id: string;
  type: TokenKind;
  provider: string;
  name: string;
  username: string | null;
  url: string | null;
  envVar: string | null;
  /** Git tokens: the repository path prefix it answers for (`acme`), null for every repository. */
  pathPrefix: string | null;
  /** How it got here: pasted by the user, or the OAuth device sign-in. */
  source: 'pasted' | 'oauth';
  /** An OAuth token the service could not renew: the user must connect again. */
  needsReconnect: boolean;
  /** '…' + the last four characters: all the view ever learns of a saved token. */
  hint: string;
  expiresAt: string | null;
  updatedAt: string;
  lastTest: LastTest | null;
}

export type AiKeyDelivery = 'gateway' | 'environment';

export interface SecuritySettings {
  autoInject: boolean;
  auditLogging: boolean;
  clearOnSessionTimeout: boolean;
  /** null: this service does not offer the setting (an older release). */
  aiKeyDelivery: AiKeyDelivery | null;
  /** null: this service does not offer the setting (an older release). */
  commitSigning: boolean | null;
}

/** What the view may change: only the settings the service offers, never to null. */
export interface SettingsPatch {
  autoInject?: boolean;
  auditLogging?: boolean;
  clearOnSessionTimeout?: boolean;
  aiKeyDelivery?: AiKeyDelivery;
  commitSigning?: boolean;
}

/** One provider and model's AI gateway usage over a period (`ai.usage`). */
export interface AiUsageRowView {
  provider: string;
  model: string | null;
  requests: number;
  failed: number;
  inputTokens: number;
  outputTokens: number;
}

export type AiUsageView =
  | {
      available: true;
      todaySince: string;
      monthSince: string;
      today: AiUsageRowView[];
      month: AiUsageRowView[];
    }
  /** The service has no usage report (an older release) or would not give it: why, in words. */
  | { available: false; reason: string };

export interface AuditEntryView {
  id: string;
  action: AuditAction;
  outcome: AuditOutcome;
  credentialType: string | null;
  provider: string | null;
  name: string | null;
  workspaceId: string | null;
  timestamp: string;
}

export interface TestResultView {
  success: boolean;
  status: TestStatus;
  detail: string;
  account?: string;
}

export type ViewState =
  | { signedIn: false; serviceUrl: string; message: string | null }
  | {
      signedIn: true;
      serviceUrl: string;
      username: string;
      /** A workspace session (the injected token) may only read and inject. */
      sessionKind: SessionKind;
      workspaceId: string;
      sshKey: SshKeyView | null;
      tokens: TokenView[];
      /** null when this session may not read them. */
      settings: SecuritySettings | null;
      audit: AuditEntryView[] | null;
      aiUsage: AiUsageView;
    };

/** The tools of the original design that read each AI provider's key. */
export const AI_TOOLS: Record<AiProvider, readonly string[]> = {
  openai: ['Aider', 'Continue'],
  anthropic: ['Cline', 'Claude Code', 'Aider'],
  google: ['Gemini CLI'],
  custom: ['any tool reading the variable'],
};

/**
 * What the audit filter calls each action. A Record over the service's AuditAction: an action
 * the service adds and the view lacks (or one the view invents) is a compile error here.
 */
export const AUDIT_ACTION_LABELS: Readonly<Record<AuditAction, string>> = {
  create: 'create',
  read: 'read',
  update: 'update',
  delete: 'delete',
  inject: 'inject',
  test: 'test',
  register: 'register',
  login: 'login',
  logout: 'logout',
  export: 'export',
  clear: 'clear',
  rotate: 'rotate (master key)',
  user_add: 'user added',
  user_disable: 'user disabled',
  settings: 'settings',
  restore: 'restore',
  ai_request: 'AI request',
};

/** The actions the view can filter by: every action the service records. */
export const AUDIT_ACTIONS = Object.keys(AUDIT_ACTION_LABELS) as AuditAction[];

export function isAuditAction(value: string): value is AuditAction {
  return Object.prototype.hasOwnProperty.call(AUDIT_ACTION_LABELS, value);
}

/** Tokens expiring sooner than this are flagged in the status bar and the view. */
export const EXPIRY_WARNING_DAYS = 7;
const DAY_MS = 24 * 60 * 60 * 1000;

/** Whole days until `expiresAt` (negative when past), or null when it does not expire. */
export function daysLeft(expiresAt: string | null, now: Date): number | null {
  if (!expiresAt) return null;
  const at = Date.parse(expiresAt);
  if (Number.isNaN(at)) return null;
  return Math.floor((at - now.getTime()) / DAY_MS);
}
