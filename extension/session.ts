// The user's session with the credential service: kept only in SecretStorage under
// `xaresCredentials.session`, bound to the service URL it was issued by, and watched for changes
// (another window signing out, or this one noticing an expired token).
import { z } from 'zod';
import { Disposable, Emitter } from './disposable';
import type { Event } from './disposable';
import { SESSION_EXPIRED_MESSAGE, ServiceError } from './client';
import { fixes, showError } from './fixes';
import type { KnownServices } from './knownServices';
import { sameService } from './serviceUrl';
import { workspaceTokenTarget } from './settingRules';
import type { Ui } from './ui';

export const SESSION_SECRET_KEY = 'xaresCredentials.session';

/** The part of vscode.SecretStorage this module needs. */
export interface SecretStore {
  get(key: string): PromiseLike<string | undefined>;
  store(key: string, value: string): PromiseLike<void>;
  delete(key: string): PromiseLike<void>;
  onDidChange: Event<{ key: string }>;
}

const storedSessionSchema = z.object({
  token: z.string().min(1).max(4096),
  serviceUrl: z.string().min(1),
  username: z.string(),
  kind: z.enum(['user', 'workspace']),
  expiresAt: z.string().nullable(),
});
export type StoredSession = z.infer<typeof storedSessionSchema>;

export class SessionStore extends Disposable {
  private cached: Promise<StoredSession | undefined> | undefined;
  private readonly changed = this._register(new Emitter<StoredSession | undefined>());
  /** Fires with the new session (undefined when signed out), whoever changed it. */
  readonly onDidChange = this.changed.event;

  constructor(private readonly secrets: SecretStore) {
    super();
    this._register(
      secrets.onDidChange((e) => {
        if (e.key !== SESSION_SECRET_KEY) return;
        this.cached = undefined;
        void this.get().then((s) => this.changed.fire(s));
      }),
    );
  }

  /** The stored session, if any and if it belongs to `serviceUrl` (when given). */
  async get(serviceUrl?: string): Promise<StoredSession | undefined> {
    this.cached ??= this.read();
    const session = await this.cached;
    if (session && serviceUrl !== undefined && !sameService(session.serviceUrl, serviceUrl)) {
      // Never send a token to a service other than the one that issued it.
      return undefined;
    }
    return session;
  }

  async save(session: StoredSession): Promise<void> {
    const valid = storedSessionSchema.parse(session);
    this.cached = Promise.resolve(valid);
    await this.secrets.store(SESSION_SECRET_KEY, JSON.stringify(valid));
  }

  async clear(): Promise<void> {
    this.cached = Promise.resolve(undefined);
    await this.secrets.delete(SESSION_SECRET_KEY);
  }

  private async read(): Promise<StoredSession | undefined> {
    const raw = await this.secrets.get(SESSION_SECRET_KEY);
    if (!raw) return undefined;
    try {
      const parsed = storedSessionSchema.safeParse(JSON.parse(raw));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined; // unreadable leftovers count as signed out
    }
  }
}

export { sameService };

/** What signing in needs from the service (implemented over the tRPC client in backend.ts). */
export interface AuthService {
  login(
    serviceUrl: string,
    username: string,
    password: string,
  ): Promise<{ token: string; expiresAt: string | null; username: string }>;
  me(
    serviceUrl: string,
    token: string,
  ): Promise<{ username: string; sessionKind: 'user' | 'workspace' }>;
  logout(serviceUrl: string, token: string): Promise<void>;
}

export interface AuthOptions {
  /** The service URL in effect (the user's setting, or the workspace's injected one). */
  serviceUrl: () => Promise<string>;
  /** The address of `~/.config/xares/service-url`, when in an injected workspace. */
  injectedServiceUrl: () => Promise<string | undefined>;
  /** The workspace token of `~/.config/xares/workspace-token`, when in a workspace. */
  workspaceToken: () => Promise<string | undefined>;
  /** Addresses the user has confirmed signing in to. */
  known: KnownServices;
}

/** Sign-in flows: the palette (username, then password) and the workspace token. */
export class Auth {
  constructor(
    private readonly store: SessionStore,
    private readonly service: AuthService,
    private readonly ui: Ui,
    private readonly options: AuthOptions,
  ) {}

  /** Asks for username and password; true when a session was stored. */
  async signIn(): Promise<boolean> {
    const serviceUrl = await this.options.serviceUrl();
    if (!(await this.confirmService(serviceUrl))) return false;
    const username = await this.ui.ask({
      title: 'Sign in to XaresAICoder Credentials',
      prompt: `Username at ${serviceUrl}`,
      validate: (v) => (v.trim() ? undefined : 'Enter your username.'),
    });
    if (username === undefined) return false;
    const password = await this.ui.ask({
      title: 'Sign in to XaresAICoder Credentials',
      prompt: `Password for ${username.trim()}`,
      password: true,
      validate: (v) => (v ? undefined : 'Enter your password.'),
    });
    if (password === undefined) return false;
    try {
      const result = await this.service.login(serviceUrl, username.trim(), password);
      await this.store.save({
        token: result.token,
        serviceUrl,
        username: result.username,
        kind: 'user',
        expiresAt: result.expiresAt,
      });
      void this.ui.info(`Signed in to ${serviceUrl} as ${result.username}.`);
      return true;
    } catch (err) {
      const wrongPassword = err instanceof ServiceError && err.kind === 'unauthorized';
      const message = wrongPassword
        ? 'Sign-in failed: wrong username or password.'
        : err instanceof ServiceError
          ? `Sign-in failed: ${err.message}`
          : 'Sign-in failed.';
      // Unreachable: the address is the likely fault; otherwise try again (a typo, a limit).
      const fix =
        err instanceof ServiceError && err.kind === 'network'
          ? fixes.openSettings('xaresCredentials.serviceUrl')
          : fixes.tryAgain('signIn');
      void showError(this.ui, message, fix);
      return false;
    }
  }

  /**
   * The first sign-in to an address asks first and shows it: a password goes only where the
   * user agreed it may. The address the injection wrote into this workspace was put there by
   * the service itself and counts as agreed.
   */
  private async confirmService(serviceUrl: string): Promise<boolean> {
    if (this.options.known.has(serviceUrl)) return true;
    const injected = await this.options.injectedServiceUrl();
    if (!workspaceTokenTarget(serviceUrl, injected)) {
      const ok = await this.ui.confirm(
        `Sign in to ${serviceUrl}?`,
        `You have not signed in to the credential service at ${serviceUrl} before. Your ` +
          'username and password will be sent there. Continue only if this is the XaresAICoder ' +
          "Credentials service you use; if not, change the setting 'xaresCredentials.serviceUrl'.",
        'Sign In',
      );
      if (!ok) return false;
    }
    await this.options.known.remember(serviceUrl);
    return true;
  }

  /**
   * In a workspace with an injected workspace token and no stored session, signs in with that
   * token (checked with auth.me first). True when a session is in place afterwards. The token
   * goes only to the address injected with it (`~/.config/xares/service-url`), and only when
   * that is the service in effect: never to an address from a setting.
   */
  async autoSignIn(): Promise<boolean> {
    const serviceUrl = await this.options.serviceUrl();
    if (await this.store.get(serviceUrl)) return true;
    const target = workspaceTokenTarget(serviceUrl, await this.options.injectedServiceUrl());
    if (!target) return false;
    const token = await this.options.workspaceToken();
    if (!token) return false;
    try {
      const me = await this.service.me(target, token);
      await this.store.save({
        token,
        serviceUrl: target,
        username: me.username,
        kind: me.sessionKind,
        expiresAt: null,
      });
      return true;
    } catch {
      return false; // revoked or unreachable: the view offers manual sign-in
    }
  }

  async signOut(): Promise<void> {
    const session = await this.store.get();
    if (session?.kind === 'user') {
      // Best effort: the local secret goes regardless, the service session expires anyway.
      await this.service.logout(session.serviceUrl, session.token).catch(() => undefined);
    }
    await this.store.clear();
  }

  private expiring: Promise<void> | undefined;

  /**
   * Called when the service answered UNAUTHORIZED: forget the session and offer sign-in, once
   * however many calls failed together.
   */
  expired(): Promise<void> {
    this.expiring ??= this.forgetAndOffer().finally(() => (this.expiring = undefined));
    return this.expiring;
  }

  private async forgetAndOffer(): Promise<void> {
    await this.store.clear();
    const again = fixes.signInAgain().label;
    const choice = await this.ui.warn(SESSION_EXPIRED_MESSAGE, again);
    if (choice === again) await this.signIn();
  }
}
