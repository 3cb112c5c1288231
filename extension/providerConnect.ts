// "Connect GitHub or GitLab": the OAuth device sign-in (contract section 4). The service starts
// the flow at the provider (`oauth.start`); the user approves the shown code on the provider's
// page; the extension asks `oauth.poll` at the interval the service gave until the token lands
// in the store, the code expires, the user is denied, or the user cancels.
import type { TokenView } from '../protocol/model';
import { PROVIDER_LABELS } from '../protocol/wording';
import { ServiceError } from './client';
import { FixableError, fixes } from './fixes';
import type { OAuthPoll, OAuthProvider, OAuthStart } from './oauthSchemas';
import type { Progress, Ui } from './ui';

export interface OAuthBackend {
  oauthStart(provider: OAuthProvider, name?: string): Promise<OAuthStart>;
  oauthPoll(flowId: string): Promise<OAuthPoll>;
}

const CLIENT_ID_VARIABLE: Record<OAuthProvider, string> = {
  github: 'GITHUB_OAUTH_CLIENT_ID',
  gitlab: 'GITLAB_OAUTH_CLIENT_ID',
};

export interface ConnectOptions {
  /** Waits `ms`, or less when the user cancels (tests shorten it). */
  wait?: (ms: number, progress: Progress) => Promise<void>;
  now?: () => number;
}

const defaultWait = (ms: number, progress: Progress) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    progress.onCancel(() => {
      clearTimeout(timer);
      resolve();
    });
  });

export function isOAuthProvider(value: unknown): value is OAuthProvider {
  return value === 'github' || value === 'gitlab';
}

export class ProviderConnect {
  constructor(
    private readonly backend: OAuthBackend,
    private readonly ui: Ui,
    private readonly options: ConnectOptions = {},
  ) {}

  /** Connects `provider` (asks which when not given); the saved token, or null if cancelled. */
  async connect(provider?: OAuthProvider): Promise<TokenView | null> {
    const chosen =
      provider ??
      (await this.ui.pick<OAuthProvider>('Connect a git provider', [
        {
          label: PROVIDER_LABELS.github,
          description: 'sign in at github.com with a code',
          value: 'github',
        },
        {
          label: PROVIDER_LABELS.gitlab,
          description: 'sign in at GitLab with a code',
          value: 'gitlab',
        },
      ]));
    if (!chosen) return null;
    const label = PROVIDER_LABELS[chosen];
    const flow = await this.ui.progress(`Connecting ${label}…`, () => this.start(chosen));

    // The code goes to the clipboard and the page opens; the progress shows both until done.
    await this.ui.copy(flow.userCode).catch(() => undefined);
    await this.ui.openExternal(flow.verificationUri);
    const outcome = await this.ui.progress(
      `Connect ${label}: enter the code ${flow.userCode} at ${flow.verificationUri}`,
      (progress) => this.poll(flow, progress),
      { cancellable: true },
    );
    if (outcome === 'cancelled') {
      void this.ui.info(`${label} sign-in cancelled; nothing was saved.`);
      return null;
    }
    switch (outcome.status) {
      case 'connected': {
        const who = outcome.token?.username ? ` as ${outcome.token.username}` : '';
        const hint = outcome.token ? ` Token ${outcome.token.hint} saved.` : '';
        void this.ui.info(`Connected ${label}${who}.${hint}`);
        return outcome.token ?? null;
      }
      case 'expired':
        throw new FixableError(
          `The ${label} code ${flow.userCode} expired before it was approved. Connect again for a new code.`,
          fixes.reconnect(chosen),
        );
      case 'denied':
        throw new FixableError(
          `${label} sign-in was denied at ${label}: nothing was saved.`,
          fixes.reconnect(chosen),
        );
      default:
        throw new FixableError(
          `${label} sign-in failed${outcome.detail ? `: ${outcome.detail}` : '.'}`,
          fixes.reconnect(chosen),
        );
    }
  }

  private async start(provider: OAuthProvider): Promise<OAuthStart> {
    const label = PROVIDER_LABELS[provider];
    const variable = CLIENT_ID_VARIABLE[provider];
    try {
      return await this.backend.oauthStart(provider);
    } catch (err) {
      if (!(err instanceof ServiceError)) throw err;
      if (err.kind === 'not_found' && /procedure|oauth\.start/i.test(err.message)) {
        throw new FixableError(
          `This credential service does not offer ${label} sign-in yet. Its operator must update it and set ${variable}; until then, add a personal access token.`,
          fixes.addToken(),
        );
      }
      if (/client[ _-]?id|OAUTH_CLIENT_ID|not configured/i.test(err.message)) {
        throw new FixableError(
          `${label} sign-in is not set up on this credential service: its operator must register an OAuth app at ${label} and set ${variable}, then restart the service. Until then, add a personal access token.`,
          fixes.addToken(),
        );
      }
      throw err;
    }
  }

  private async poll(flow: OAuthStart, progress: Progress): Promise<OAuthPoll | 'cancelled'> {
    const now = this.options.now ?? Date.now;
    const wait = this.options.wait ?? defaultWait;
    const expiresAt = Date.parse(flow.expiresAt);
    // At least a second apart whatever the service says, so a bad answer cannot make us spin.
    const intervalMs = Math.max(1, flow.interval) * 1000;
    progress.report(`Code ${flow.userCode} is on the clipboard. Waiting for your approval…`);
    for (;;) {
      await wait(intervalMs, progress);
      if (progress.cancelled) return 'cancelled';
      let answer: OAuthPoll;
      try {
        answer = await this.backend.oauthPoll(flow.flowId);
      } catch (err) {
        // The service no longer knows the flow (restarted, or it expired there).
        if (err instanceof ServiceError && err.kind === 'not_found') return { status: 'expired' };
        throw err;
      }
      if (answer.status !== 'pending') return answer;
      if (!Number.isNaN(expiresAt) && now() > expiresAt) return { status: 'expired' };
    }
  }
}
