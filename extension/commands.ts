// Every palette command of the contract (category "Credentials"). Each one reports what
// happened; failures become one readable notification, never a stack.
import * as vscode from 'vscode';
import type { AiProvider, GitProvider } from '../protocol/model';
import { PROVIDER_LABELS } from '../protocol/wording';
import type { CredentialActions } from './actions';
import type { CredentialsBackend } from './backend';
import { ServiceError } from './client';
import type { Section } from './credentialsView';
import { Disposable } from './disposable';
import { fixFor, showError } from './fixes';
import { userMessage } from './messageRouter';
import { isOAuthProvider } from './providerConnect';
import type { ProviderConnect } from './providerConnect';
import type { Auth } from './session';
import type { Ui } from './ui';
import { envVarRefusal } from '../service/envNames';

export interface CommandDeps {
  auth: Auth;
  backend: CredentialsBackend;
  actions: CredentialActions;
  ui: Ui;
  connect: ProviderConnect;
  reveal: (section?: Section) => Promise<void>;
  refresh: () => Promise<void>;
}

export const COMMAND_IDS = [
  'signIn',
  'signOut',
  'open',
  'generateSshKey',
  'copyPublicKey',
  'exportPublicKey',
  'addGitToken',
  'addAiKey',
  'testAll',
  'injectWorkspace',
  'showAuditLog',
  'clearAll',
  'connectProvider',
] as const;
type CommandId = (typeof COMMAND_IDS)[number];

const SECTIONS: readonly Section[] = ['ssh', 'git', 'ai', 'security', 'audit'];
/** Command links (walkthrough, notifications) may name a section: only a known one counts. */
const asSection = (v: unknown): Section | undefined => SECTIONS.find((section) => section === v);

export class Commands extends Disposable {
  constructor(private readonly d: CommandDeps) {
    super();
    // Arguments come from command links too (walkthrough, notifications): checked, never trusted.
    const handlers: Record<CommandId, (arg?: unknown) => Promise<unknown>> = {
      signIn: () => d.auth.signIn(),
      signOut: async () => {
        await d.auth.signOut();
        void d.ui.info('Signed out of XaresAICoder Credentials.');
      },
      open: (section) => d.reveal(asSection(section)),
      generateSshKey: () => d.actions.generateSshKey(),
      copyPublicKey: () => d.actions.copyPublicKey(),
      exportPublicKey: () => d.actions.exportPublicKey(),
      addGitToken: () => this.addGitToken(),
      addAiKey: () => this.addAiKey(),
      testAll: () => d.actions.testAll(),
      injectWorkspace: () => d.actions.inject(),
      showAuditLog: () => d.reveal('audit'),
      clearAll: () => d.actions.clearAll(),
      connectProvider: (provider) =>
        d.connect.connect(isOAuthProvider(provider) ? provider : undefined),
    };
    for (const id of COMMAND_IDS) {
      this._register(
        vscode.commands.registerCommand(`xaresCredentials.${id}`, (arg?: unknown) =>
          this.run(id, () => handlers[id](arg)),
        ),
      );
    }
  }

  /** Runs a command; a failure becomes one notification offering the action that fixes it. */
  private async run(id: string, work: () => Promise<unknown>): Promise<void> {
    try {
      await work();
    } catch (err) {
      if (err instanceof ServiceError && err.kind === 'unauthorized') {
        // Auth.expired() has already told the user and offered to sign in again.
      } else if (err instanceof ServiceError && err.kind === 'signed_out') {
        const choice = await this.d.ui.warn(err.message, 'Sign In');
        if (choice === 'Sign In') await this.d.auth.signIn();
      } else {
        void showError(this.d.ui, userMessage(err), fixFor(err, id));
      }
    } finally {
      await this.d.refresh();
    }
  }

  private async addGitToken(): Promise<void> {
    const provider = await this.d.ui.pick<GitProvider>('Add a Git token', [
      { label: PROVIDER_LABELS.github, description: 'personal access token', value: 'github' },
      { label: PROVIDER_LABELS.gitlab, description: 'gitlab.com or self-hosted', value: 'gitlab' },
      { label: 'Forgejo / Gitea', description: 'needs the server URL', value: 'forgejo' },
    ]);
    if (!provider) return;
    let url: string | undefined;
    if (provider !== 'github') {
      url = await this.d.ui.ask({
        title: `Add a ${PROVIDER_LABELS[provider]} token`,
        prompt:
          provider === 'gitlab'
            ? 'GitLab URL (leave empty for gitlab.com)'
            : 'Forgejo server URL, e.g. https://git.company.com',
        validate: (v) => validateUrl(v, provider === 'gitlab'),
      });
      if (url === undefined) return;
    }
    const token = await this.askSecret(`Add a ${provider} token`, 'Access token');
    if (token === undefined) return;
    const saved = await this.d.ui.progress('Saving token…', () =>
      this.d.backend.saveToken({
        type: 'git_token',
        provider,
        token,
        ...(url?.trim() ? { url: url.trim() } : {}),
      }),
    );
    void this.run('testAll', () =>
      this.offerTest(saved.id, `${provider} token ${saved.hint} saved.`),
    );
  }

  private async addAiKey(): Promise<void> {
    const provider = await this.d.ui.pick<AiProvider>('Add an AI provider key', [
      { label: PROVIDER_LABELS.openai, description: 'Aider, Continue', value: 'openai' },
      {
        label: PROVIDER_LABELS.anthropic,
        description: 'Cline, Claude Code, Aider',
        value: 'anthropic',
      },
      { label: PROVIDER_LABELS.google, description: 'Gemini CLI', value: 'google' },
      { label: PROVIDER_LABELS.custom, description: 'any environment variable', value: 'custom' },
    ]);
    if (!provider) return;
    let envVar: string | undefined;
    if (provider === 'custom') {
      envVar = await this.d.ui.ask({
        title: 'Add a custom AI key',
        prompt: 'Environment variable name, e.g. MISTRAL_API_KEY',
        // The service's own rule (service/envNames.ts), so the prompt refuses what it would.
        validate: (v) => envVarRefusal(v),
      });
      if (envVar === undefined) return;
    }
    const token = await this.askSecret(`Add a ${provider} key`, 'API key');
    if (token === undefined) return;
    const saved = await this.d.ui.progress('Saving key…', () =>
      this.d.backend.saveToken({
        type: 'ai_token',
        provider,
        token,
        ...(envVar ? { envVar } : {}),
      }),
    );
    void this.run('testAll', () =>
      this.offerTest(saved.id, `${provider} key ${saved.hint} saved.`),
    );
  }

  private askSecret(title: string, prompt: string): Promise<string | undefined> {
    return this.d.ui.ask({
      title,
      prompt,
      password: true,
      validate: (v) =>
        !v.trim()
          ? 'Enter the token.'
          : /[\0\r\n]/.test(v)
            ? 'The token must not contain line breaks.'
            : undefined,
    });
  }

  /** Runs detached from the command, so the view refreshes before the user answers. */
  private async offerTest(id: string, message: string): Promise<void> {
    if ((await this.d.ui.info(message, 'Test Now')) !== 'Test Now') return;
    const token = (await this.d.backend.listTokens()).find((t) => t.id === id);
    if (token) await this.d.actions.testToken(token);
  }
}

function validateUrl(value: string, optional: boolean): string | undefined {
  if (!value.trim()) return optional ? undefined : 'Enter the server URL.';
  try {
    const url = new URL(value.trim());
    return url.protocol === 'https:' || url.protocol === 'http:'
      ? undefined
      : 'Use an https:// URL.';
  } catch {
    return 'Enter a URL such as https://git.company.com';
  }
}
