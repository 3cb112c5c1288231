// The signed-in account in VS Code's Accounts menu: an AuthenticationProvider (id
// `xaresCredentials`, contract section 7) over the one stored session. Signing in and out from
// the menu runs the extension's own flows; other extensions get the session through
// `vscode.authentication.getSession('xaresCredentials', [])` (VS Code asks the user first). The
// token itself stays where it was: SecretStorage under `xaresCredentials.session`.
import { createHash } from 'node:crypto';
import type * as vscode from 'vscode';
import { Disposable, Emitter } from './disposable';
import type { SessionStore, StoredSession } from './session';

export const AUTH_PROVIDER_ID = 'xaresCredentials';
export const AUTH_PROVIDER_LABEL = 'XaresAICoder Credentials';

type ChangeEvent = vscode.AuthenticationProviderAuthenticationSessionsChangeEvent;

export interface AccountAuth {
  signIn(): Promise<boolean>;
  signOut(): Promise<void>;
}

/** The session as VS Code shows it; its id changes with the token, never reveals it. */
export function toAccountSession(s: StoredSession): vscode.AuthenticationSession {
  const id = createHash('sha256').update(s.token).digest('hex').slice(0, 32);
  return {
    id,
    accessToken: s.token,
    account: {
      id: `${s.username}@${s.serviceUrl.replace(/\/+$/, '')}`,
      label: s.kind === 'workspace' ? `${s.username} (workspace)` : s.username,
    },
    scopes: [],
  };
}

export class AccountProvider extends Disposable implements vscode.AuthenticationProvider {
  private readonly changed = this._register(new Emitter<ChangeEvent>());
  readonly onDidChangeSessions = this.changed.event;
  private last: vscode.AuthenticationSession | undefined;

  constructor(
    private readonly sessions: SessionStore,
    private readonly auth: AccountAuth,
    private readonly serviceUrl: () => Promise<string>,
  ) {
    super();
    this._register(sessions.onDidChange(() => void this.sync()));
    void this.sync();
  }

  private async current(): Promise<vscode.AuthenticationSession | undefined> {
    const stored = await this.sessions.get(await this.serviceUrl());
    return stored && toAccountSession(stored);
  }

  /** Tells VS Code what changed since it last asked (sign-in, sign-out, another window). */
  async sync(): Promise<void> {
    const now = await this.current();
    const before = this.last;
    this.last = now;
    if (before?.id === now?.id) return;
    this.changed.fire({
      added: now ? [now] : [],
      removed: before ? [before] : [],
      changed: [],
    });
  }

  async getSessions(scopes?: readonly string[]): Promise<vscode.AuthenticationSession[]> {
    // The service has no scopes: a request for any is one this provider cannot answer.
    if (scopes?.length) return [];
    const session = await this.current();
    return session ? [session] : [];
  }

  async createSession(scopes: readonly string[]): Promise<vscode.AuthenticationSession> {
    if (scopes.length) {
      throw new Error(`${AUTH_PROVIDER_LABEL} has no scopes; ask for the session with [].`);
    }
    const existing = await this.current();
    if (existing) return existing;
    if (!(await this.auth.signIn()))
      throw new Error(`Sign-in to ${AUTH_PROVIDER_LABEL} cancelled.`);
    const session = await this.current();
    if (!session) throw new Error(`Sign-in to ${AUTH_PROVIDER_LABEL} did not complete.`);
    await this.sync();
    return session;
  }

  async removeSession(sessionId: string): Promise<void> {
    const session = await this.current();
    if (session?.id !== sessionId) return;
    await this.auth.signOut();
    await this.sync();
  }
}
