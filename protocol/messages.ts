// Typed messages between the Credentials webview and the extension host (GitLens' IPC pattern):
// a Command has no answer, a Request<P, R> always gets exactly one Response (result or error),
// a Notification<P> flows host → webview. The webview posts `ready` first.
import type {
  AuditAction,
  AuditEntryView,
  AiUsageView,
  GitProvider,
  AiProvider,
  KeyUsage,
  SecuritySettings,
  SettingsPatch,
  SshKeyView,
  TestResultView,
  TokenView,
  ViewState,
} from './model';

/** Descriptor of a message kind; P and R exist only for the compiler. */
export interface MessageType<P, R = void> {
  readonly method: string;
  readonly _types?: (p: P) => R;
}

export interface Command<P = undefined> {
  kind: 'command';
  method: string;
  params: P;
}

export interface Request<P, R> {
  kind: 'request';
  id: number;
  method: string;
  params: P;
  /** Phantom: the result type this request is answered with. */
  readonly _result?: R;
}

export interface Notification<P> {
  kind: 'notification';
  method: string;
  params: P;
}

export type Response<R> =
  | { kind: 'response'; id: number; ok: true; result: R }
  | { kind: 'response'; id: number; ok: false; error: string };

const def = <P, R = void>(method: string): MessageType<P, R> => ({ method });

// --- commands (webview → host, no answer) ---
export const Ready = def<undefined>('ready');

// --- requests (webview → host) ---
export const GetState = def<undefined, ViewState>('state/get');
export const SignIn = def<undefined, void>('session/signIn');
export const SignOut = def<undefined, void>('session/signOut');
/** Host asks for confirmation itself before replacing an existing key. */
export const GenerateSshKey = def<undefined, SshKeyView | null>('ssh/generate');
export const CopyPublicKey = def<undefined, void>('ssh/copy');
export const ExportPublicKey = def<undefined, string | null>('ssh/export');
export const RegisterSshKey = def<
  { provider: GitProvider; usage?: KeyUsage },
  { status: string; detail: string }
>('ssh/register');
export interface SaveTokenParams {
  type: 'git_token' | 'ai_token';
  provider: GitProvider | AiProvider;
  token: string;
  url?: string;
  username?: string;
  envVar?: string;
  /** Several tokens per provider are told apart by name (default `default`). */
  name?: string;
  /** Git tokens: answer only for repositories under this path (`acme`). */
  pathPrefix?: string;
}
export const SaveToken = def<SaveTokenParams, TokenView>('token/save');
export const RenameToken = def<{ id: string; name: string }, TokenView>('token/rename');
/**
 * Runs the `xaresCredentials.connectProvider` command (OAuth device sign-in) for one provider:
 * its notifications tell the outcome, with the action that fixes a failure, and it refreshes
 * the view when done.
 */
export const ConnectProvider = def<{ provider: 'github' | 'gitlab' }, void>('provider/connect');
export const GetAiUsage = def<undefined, AiUsageView>('ai/usage');
export const TestToken = def<{ id: string }, TestResultView>('token/test');
/** Host asks in a modal first; false when the user declined. */
export const DeleteToken = def<{ id: string }, boolean>('token/delete');
export const UpdateSettings = def<SettingsPatch, SecuritySettings>('settings/update');
/** Host shows a modal confirmation; null when the user cancelled. */
export const ClearAll = def<undefined, { deleted: number; workspacesCleared: number } | null>(
  'credentials/clearAll',
);
export const ListAudit = def<{ action?: AuditAction }, AuditEntryView[]>('audit/list');
export const ExportAudit = def<{ format: 'json' | 'csv' }, string | null>('audit/export');
export const InjectWorkspace = def<undefined, { workspaceId: string; files: string[] }>(
  'workspace/inject',
);

// --- notifications (host → webview) ---
export const StateChanged = def<ViewState>('state/changed');
export const FocusSection = def<{ section: 'ssh' | 'git' | 'ai' | 'security' | 'audit' }>(
  'view/focus',
);

// --- constructors ---
export function command<P>(type: MessageType<P>, params: P): Command<P> {
  return { kind: 'command', method: type.method, params };
}
export function request<P, R>(type: MessageType<P, R>, id: number, params: P): Request<P, R> {
  return { kind: 'request', id, method: type.method, params };
}
export function notification<P>(type: MessageType<P>, params: P): Notification<P> {
  return { kind: 'notification', method: type.method, params };
}

// --- guards: messages arrive as `unknown` from postMessage ---
function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function isCommand<P>(msg: unknown, type: MessageType<P>): msg is Command<P> {
  return isRecord(msg) && msg.kind === 'command' && msg.method === type.method;
}

/** Any well-formed request, whatever its method (the host must answer even unknown ones). */
export function isAnyRequest(msg: unknown): msg is Request<unknown, unknown> {
  return (
    isRecord(msg) &&
    msg.kind === 'request' &&
    typeof msg.method === 'string' &&
    typeof msg.id === 'number' &&
    Number.isSafeInteger(msg.id)
  );
}

export function isRequest<P, R>(msg: unknown, type: MessageType<P, R>): msg is Request<P, R> {
  return isAnyRequest(msg) && msg.method === type.method;
}

export function isNotification<P>(msg: unknown, type: MessageType<P>): msg is Notification<P> {
  return isRecord(msg) && msg.kind === 'notification' && msg.method === type.method;
}

export function isResponse(msg: unknown): msg is Response<unknown> {
  if (!isRecord(msg) || msg.kind !== 'response' || typeof msg.id !== 'number') return false;
  return msg.ok === true ? 'result' in msg : msg.ok === false && typeof msg.error === 'string';
}
