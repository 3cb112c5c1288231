// Host-side operations on the user's credentials, shared by the palette commands and the view:
// each call runs with the stored session, maps errors once (client.ts), and returns the
// protocol's view models, copying fields one by one so a secret can never ride along.
import type {
  AiUsageView,
  AuditAction,
  AuditEntryView,
  KeyUsage,
  SecuritySettings,
  SettingsPatch,
  SshKeyView,
  TestResultView,
  TokenView,
  ViewState,
} from '../protocol/model';
import type { SaveTokenParams } from '../protocol/messages';
import {
  createServiceClient,
  createUntypedServiceClient,
  ServiceError,
  toServiceError,
} from './client';
import { oauthPollSchema, oauthStartSchema, tokenInfoSchema, understood } from './oauthSchemas';
import {
  aiUsageAnswerSchema,
  registerAnswerSchema,
  settingsAnswerSchema,
  toAiUsageView,
  toSettingsView,
} from './serviceSchemas';
import type { TRPCUntypedClient } from '@trpc/client';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '../service/routers/_app';
import type { OAuthPoll, OAuthProvider, OAuthStart, TokenInfoAnswer } from './oauthSchemas';
import type { ServiceClient } from './client';
import { Disposable, Emitter } from './disposable';
import type { AuthService, SessionStore, StoredSession } from './session';

export interface BackendOptions {
  serviceUrl: () => Promise<string>;
  workspaceId: () => string;
  /** Told when the service rejected the session (expired or revoked). */
  onUnauthorized: () => void;
}

/**
 * What the service's procedures answer, as the client receives them: the client has no
 * transformer (client.ts), so these are the JSON shapes, every date an ISO string.
 */
type Outputs = inferRouterOutputs<AppRouter>;
type Inputs = inferRouterInputs<AppRouter>;
type SshKeyAnswer = Outputs['sshKeys']['list'][number];
type TokenAnswer = Outputs['tokens']['list'][number];
type AuditEntryAnswer = Outputs['audit']['list']['entries'][number];

export const NOT_SIGNED_IN = 'You are not signed in to XaresAICoder Credentials. Sign in first.';

export class CredentialsBackend extends Disposable {
  private readonly tokensChanged = this._register(new Emitter<TokenView[] | undefined>());
  /** The user's tokens after every load, save or test; undefined when signed out. */
  readonly onDidChangeTokens = this.tokensChanged.event;

  /** Why the user is signed out, when the service ended the session (shown in the view). */
  private signedOutReason: string | null = null;

  constructor(
    private readonly sessions: SessionStore,
    private readonly options: BackendOptions,
  ) {
    super();
  }

  private call<T>(work: (client: ServiceClient) => Promise<T>): Promise<T> {
    return this.withSession((url, session) => work(createServiceClient(url, session.token)));
  }

  /**
   * For procedures (or fields) the service's AppRouter on main does not have yet: called by
   * name, every answer checked with zod by the caller. Switch each call to `call` once the
   * service's router has it.
   */
  private untyped<T>(work: (client: TRPCUntypedClient<AppRouter>) => Promise<T>): Promise<T> {
    return this.withSession((url, session) => work(createUntypedServiceClient(url, session.token)));
  }

  /** Runs `work` with the stored session of the service in effect; errors mapped once. */
  private async withSession<T>(
    work: (serviceUrl: string, session: StoredSession) => Promise<T>,
  ): Promise<T> {
    const url = await this.options.serviceUrl();
    const session = await this.sessions.get(url);
    if (!session) throw new ServiceError(NOT_SIGNED_IN, 'signed_out');
    try {
      return await work(url, session);
    } catch (err) {
      const mapped = toServiceError(err, url);
      if (mapped.kind === 'unauthorized') {
        this.signedOutReason = mapped.message;
        this.options.onUnauthorized();
      }
      throw mapped;
    }
  }

  /** Runs `work`, turning FORBIDDEN into null: parts a workspace session may not see. */
  private async optional<T>(work: Promise<T>): Promise<T | null> {
    try {
      return await work;
    } catch (err) {
      if (err instanceof ServiceError && err.kind === 'forbidden') return null;
      throw err;
    }
  }

  async loadState(message: string | null = null): Promise<ViewState> {
    const serviceUrl = await this.options.serviceUrl();
    const session = await this.sessions.get(serviceUrl);
    if (!session) {
      this.tokensChanged.fire(undefined);
      return { signedIn: false, serviceUrl, message: message ?? this.signedOutReason };
    }
    this.signedOutReason = null;
    const [me, keys, tokens, settings, audit, aiUsage] = await Promise.all([
      this.call((c) => c.auth.me.query()),
      this.listSshKeys(),
      this.listTokens(),
      this.optional(this.getSettings()),
      this.optional(this.listAudit()),
      this.aiUsage(),
    ]);
    return {
      signedIn: true,
      serviceUrl,
      username: me.username,
      sessionKind: me.sessionKind,
      workspaceId: this.options.workspaceId(),
      sshKey: keys.find((k) => k.name === 'default') ?? keys[0] ?? null,
      tokens,
      settings,
      audit,
      aiUsage,
    };
  }

  async listSshKeys(): Promise<SshKeyView[]> {
    const keys = await this.call((c) => c.sshKeys.list.query());
    return keys.map(toSshKey);
  }

  async defaultSshKey(): Promise<SshKeyView | null> {
    const keys = await this.listSshKeys();
    return keys.find((k) => k.name === 'default') ?? null;
  }

  async generateSshKey(replace: boolean): Promise<SshKeyView> {
    const key = await this.call((c) => c.sshKeys.generate.mutate({ name: 'default', replace }));
    return toSshKey(key);
  }

  async registerSshKey(
    id: string,
    provider: Inputs['sshKeys']['register']['provider'],
    usage?: KeyUsage,
  ) {
    if (!usage) {
      const r = await this.call((c) => c.sshKeys.register.mutate({ id, provider }));
      return { status: r.status, detail: r.detail };
    }
    // A service without usages would drop the field and register an authentication key, which
    // is not what the user asked for: ask it first whether it knows commit signing.
    if (usage !== 'authentication' && (await this.getSettings()).commitSigning === null) {
      throw new ServiceError(
        'This credential service cannot register a signing key yet (it predates commit signing). Ask its operator to update it; until then register the key for authentication.',
        'unavailable',
      );
    }
    const answer = await this.untyped((c) =>
      c.mutation('sshKeys.register', { id, provider, usage }),
    );
    const r = understood(registerAnswerSchema, answer);
    return { status: r.status, detail: r.detail ?? '' };
  }

  async listTokens(): Promise<TokenView[]> {
    const tokens = (await this.call((c) => c.tokens.list.query({}))).map(toTokenView);
    this.tokensChanged.fire(tokens);
    return tokens;
  }

  /** Creates the provider's token named `p.name` (default `default`; a custom key: named after
   * its variable), or replaces its value when one of that name exists. */
  async saveToken(p: SaveTokenParams): Promise<TokenView> {
    // Custom AI keys are told apart by their variable, so each gets a name of its own.
    const name = p.name ?? (p.provider === 'custom' && p.envVar ? p.envVar : 'default');
    const existing = (await this.listTokens()).find(
      (t) => t.type === p.type && t.provider === p.provider && t.name === name,
    );
    if (p.pathPrefix !== undefined) return this.savePrefixed(p, name, existing);
    const saved = await this.call((c) =>
      existing
        ? c.tokens.update.mutate({
            id: existing.id,
            token: p.token,
            ...(p.url !== undefined ? { url: p.url } : {}),
            ...(p.username !== undefined ? { username: p.username } : {}),
          })
        : c.tokens.create.mutate({
            type: p.type,
            provider: p.provider,
            name,
            token: p.token,
            ...(p.url ? { url: p.url } : {}),
            ...(p.username ? { username: p.username } : {}),
            ...(p.envVar ? { envVar: p.envVar } : {}),
          }),
    );
    await this.listTokens();
    return toTokenView(saved);
  }

  /**
   * A token with a path prefix. A service that predates prefixes silently drops the field and
   * would hand the token to every repository on the host, so its answer is checked: without the
   * prefix echoed back, the new token is deleted again (or the old value restored is impossible,
   * so an update is refused before it is sent) and the user is told.
   */
  private async savePrefixed(
    p: SaveTokenParams,
    name: string,
    existing: TokenView | undefined,
  ): Promise<TokenView> {
    const prefixSupported = (await this.listTokensRaw()).every((t) => t.pathPrefix !== undefined);
    if (existing && !prefixSupported) throw prefixUnsupported();
    const answer = await this.untyped((c) =>
      existing
        ? c.mutation('tokens.update', {
            id: existing.id,
            token: p.token,
            pathPrefix: p.pathPrefix,
            ...(p.url !== undefined ? { url: p.url } : {}),
            ...(p.username !== undefined ? { username: p.username } : {}),
          })
        : c.mutation('tokens.create', {
            type: p.type,
            provider: p.provider,
            name,
            token: p.token,
            pathPrefix: p.pathPrefix,
            ...(p.url ? { url: p.url } : {}),
            ...(p.username ? { username: p.username } : {}),
          }),
    );
    const saved = toTokenView(understood(tokenInfoSchema, answer));
    if (saved.pathPrefix !== p.pathPrefix) {
      if (!existing) await this.deleteToken(saved.id).catch(() => undefined);
      throw prefixUnsupported();
    }
    await this.listTokens();
    return saved;
  }

  /** tokens.list by name: the answer as the service sent it (fields main's router lacks). */
  private async listTokensRaw() {
    const answer = await this.untyped((c) => c.query('tokens.list', {}));
    return understood(tokenInfoSchema.array(), answer);
  }

  /** Gives a token another name (several tokens of one provider are told apart by name). */
  async renameToken(id: string, name: string): Promise<TokenView> {
    const saved = await this.call((c) => c.tokens.update.mutate({ id, name }));
    await this.listTokens();
    return toTokenView(saved);
  }

  async testToken(id: string): Promise<TestResultView> {
    const r = await this.call((c) => c.tokens.test.mutate({ id }));
    await this.listTokens();
    return {
      success: r.success,
      status: r.status,
      detail: r.detail,
      ...(r.account ? { account: r.account } : {}),
    };
  }

  async deleteToken(id: string): Promise<void> {
    await this.call((c) => c.tokens.delete.mutate({ id }));
    await this.listTokens();
  }

  async getSettings(): Promise<SecuritySettings> {
    const answer = await this.untyped((c) => c.query('settings.get', undefined));
    return toSettingsView(understood(settingsAnswerSchema, answer));
  }

  /** Changes settings; one the service does not offer is refused, not silently dropped. */
  async updateSettings(patch: SettingsPatch): Promise<SecuritySettings> {
    const current = await this.getSettings();
    for (const key of ['aiKeyDelivery', 'commitSigning'] as const) {
      if (patch[key] !== undefined && current[key] === null) {
        throw new ServiceError(
          `This credential service does not offer the ${key} setting yet. Ask its operator to update it.`,
          'unavailable',
        );
      }
    }
    const answer = await this.untyped((c) => c.mutation('settings.update', patch));
    return toSettingsView(understood(settingsAnswerSchema, answer));
  }

  /**
   * The caller's AI gateway usage (`ai.usage`). Never fails the view: a service without the
   * report, or a session that may not read it, gets a sentence instead.
   */
  async aiUsage(): Promise<AiUsageView> {
    try {
      const answer = await this.untyped((c) => c.query('ai.usage', undefined));
      return toAiUsageView(understood(aiUsageAnswerSchema, answer));
    } catch (err) {
      if (!(err instanceof ServiceError)) throw err;
      if (err.kind === 'unauthorized' || err.kind === 'signed_out') throw err;
      const reason =
        err.kind === 'not_found'
          ? 'This credential service does not report AI usage yet (it predates the AI gateway).'
          : err.kind === 'forbidden'
            ? 'Sign in with your account to see your AI usage.'
            : `AI usage is not available: ${err.message}`;
      return { available: false, reason };
    }
  }

  async clearAll(): Promise<{ deleted: number; workspacesCleared: number }> {
    const r = await this.call((c) => c.credentials.clearAll.mutate({}));
    await this.listTokens().catch(() => undefined);
    return { deleted: r.deleted, workspacesCleared: r.workspacesCleared };
  }

  async listAudit(action?: AuditAction): Promise<AuditEntryView[]> {
    const r = await this.call((c) =>
      c.audit.list.query({ limit: 100, ...(action ? { action } : {}) }),
    );
    return r.entries.map(toAuditEntry);
  }

  async exportAudit(format: Inputs['audit']['export']['format']): Promise<string> {
    const r = await this.call((c) => c.audit.export.query({ format }));
    return r.content;
  }

  async inject(
    workspaceId: string,
  ): Promise<{ workspaceId: string; files: string[]; notes: string[] }> {
    const r = await this.call((c) => c.workspaces.inject.mutate({ workspaceId }));
    return { workspaceId: r.workspaceId, files: r.files, notes: r.notes ?? [] };
  }

  /** Starts the OAuth device sign-in at the provider (contract section 4: `oauth.start`). */
  async oauthStart(provider: OAuthProvider, name?: string): Promise<OAuthStart> {
    const answer = await this.withSession((url, session) =>
      createUntypedServiceClient(url, session.token).mutation('oauth.start', {
        provider,
        ...(name ? { name } : {}),
      }),
    );
    return understood(oauthStartSchema, answer);
  }

  /** Asks how the device sign-in `flowId` stands (`oauth.poll`). */
  async oauthPoll(flowId: string): Promise<OAuthPoll> {
    const answer = await this.withSession((url, session) =>
      createUntypedServiceClient(url, session.token).query('oauth.poll', { flowId }),
    );
    const poll = understood(oauthPollSchema, answer);
    const token = poll.token ? toTokenView(poll.token) : undefined;
    if (token) await this.listTokens().catch(() => undefined);
    return {
      status: poll.status,
      ...(token ? { token } : {}),
      ...(poll.detail ? { detail: poll.detail } : {}),
    };
  }

  // --- for session.ts: calls made with an explicit token rather than the stored one ---
  readonly auth: AuthService = {
    login: async (serviceUrl, username, password) => {
      try {
        const r = await createServiceClient(serviceUrl).auth.login.mutate({ username, password });
        return { token: r.token, expiresAt: r.expiresAt, username: r.user.username };
      } catch (err) {
        throw toServiceError(err, serviceUrl);
      }
    },
    me: async (serviceUrl, token) => {
      try {
        const r = await createServiceClient(serviceUrl, token).auth.me.query();
        return { username: r.username, sessionKind: r.sessionKind };
      } catch (err) {
        throw toServiceError(err, serviceUrl);
      }
    },
    logout: async (serviceUrl, token) => {
      try {
        await createServiceClient(serviceUrl, token).auth.logout.mutate({});
      } catch (err) {
        throw toServiceError(err, serviceUrl);
      }
    },
  };
}

// --- mapping service outputs to view models, field by field ---

function toSshKey(k: SshKeyAnswer): SshKeyView {
  return {
    id: k.id,
    name: k.name,
    publicKey: k.publicKey,
    fingerprint: k.fingerprint,
    createdAt: k.createdAt,
    registrations: k.registrations.map((r) => ({
      provider: r.provider,
      status: r.status,
      checkedAt: r.checkedAt,
      usage: r.usage,
    })),
  };
}

/**
 * A token from a typed call, or one checked by `tokenInfoSchema` from a call by name (a service
 * older than path prefixes or OAuth leaves those fields out).
 */
function toTokenView(t: TokenAnswer | TokenInfoAnswer): TokenView {
  const status = t.lastTest?.status;
  const source = t.source === 'oauth' ? 'oauth' : 'pasted';
  return {
    id: t.id,
    type: t.type,
    provider: t.provider,
    name: t.name,
    username: t.username ?? null,
    url: t.url ?? null,
    envVar: t.envVar ?? null,
    pathPrefix: t.pathPrefix ?? null,
    source,
    // The service marks a refused renewal by failing the token's last test (see
    // service/domain/oauthRefresh.ts on the git-accounts branch: last_test_status 'invalid', detail
    // "…reconnect GitHub"); TokenInfo has no field of its own for it, so an OAuth token whose
    // last test failed is the signal. Switch to a dedicated field if the service grows one.
    needsReconnect: source === 'oauth' && status === 'invalid',
    hint: t.hint,
    expiresAt: t.expiresAt ?? null,
    updatedAt: t.updatedAt ?? '',
    lastTest: t.lastTest
      ? {
          status: t.lastTest.status,
          detail: t.lastTest.detail ?? '',
          checkedAt: t.lastTest.checkedAt,
        }
      : null,
  };
}

function toAuditEntry(e: AuditEntryAnswer): AuditEntryView {
  return {
    id: String(e.id),
    action: e.action,
    outcome: e.outcome,
    credentialType: e.credentialType,
    provider: e.provider,
    name: e.name,
    workspaceId: e.workspaceId,
    timestamp: e.timestamp,
  };
}

function prefixUnsupported(): ServiceError {
  return new ServiceError(
    'This credential service does not know path prefixes yet: it would use the token for every repository on that host, so it was not saved. Leave the prefix empty, or ask the operator to update the service.',
    'unavailable',
  );
}
