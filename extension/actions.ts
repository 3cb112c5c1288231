// User-level actions shared by palette commands and the view: each confirms what needs
// confirming, runs long work under progress, and says what happened in a notification.
import type {
  GitProvider,
  KeyUsage,
  SshKeyView,
  TestResultView,
  TokenView,
} from '../protocol/model';
import type { CredentialsBackend } from './backend';
import { fixes, showWarning } from './fixes';
import type { Fix } from './fixes';
import { isOAuthProvider } from './providerConnect';
import { providerLabel } from './statusBar';
import type { Ui } from './ui';

export class CredentialActions {
  constructor(
    private readonly backend: CredentialsBackend,
    private readonly ui: Ui,
    private readonly workspaceId: () => string,
  ) {}

  /** Generates the default key; asks first when one exists. null when the user declined. */
  async generateSshKey(): Promise<SshKeyView | null> {
    const existing = await this.backend.defaultSshKey();
    if (existing) {
      const ok = await this.ui.confirm(
        'Replace your SSH key?',
        `The current key (${existing.fingerprint}) stops working wherever it is registered, ` +
          'and workspaces get the new key at their next injection.',
        'Replace Key',
      );
      if (!ok) return null;
    }
    const key = await this.ui.progress('Generating SSH key…', () =>
      this.backend.generateSshKey(existing !== null),
    );
    void this.ui.info(`New SSH key generated: ${key.fingerprint}.`);
    return key;
  }

  private async requireKey(): Promise<SshKeyView> {
    const key = await this.backend.defaultSshKey();
    if (!key) throw new Error('You have no SSH key yet. Generate one first.');
    return key;
  }

  async copyPublicKey(): Promise<void> {
    const key = await this.requireKey();
    await this.ui.copy(key.publicKey);
    void this.ui.info(`Public key copied to the clipboard (${key.fingerprint}).`);
  }

  async exportPublicKey(): Promise<string | null> {
    const key = await this.requireKey();
    const where = await this.ui.saveFile('xaresaicoder_ed25519.pub', `${key.publicKey}\n`);
    if (where) void this.ui.info(`Public key saved to ${where}.`);
    return where ?? null;
  }

  async testToken(token: TokenView): Promise<TestResultView> {
    const r = await this.ui.progress(`Testing ${providerLabel(token)} token…`, () =>
      this.backend.testToken(token.id),
    );
    const what = `${providerLabel(token)} token ${token.hint}`;
    if (r.status === 'valid') {
      void this.ui.info(`${what} works${r.account ? ` (account ${r.account})` : ''}.`);
    } else {
      const text = `${what} is ${r.status}${r.detail ? `: ${r.detail}` : ''}.`;
      void showWarning(this.ui, text, fixForToken(token, r.status));
    }
    return r;
  }

  /** Tests every saved token; one summary notification. */
  async testAll(): Promise<{ passed: number; failed: number }> {
    const result = await this.ui.progress('Testing all tokens…', async (progress) => {
      const tokens = await this.backend.listTokens();
      const outcomes: string[] = [];
      let passed = 0;
      for (const [i, t] of tokens.entries()) {
        progress.report(`${providerLabel(t)} (${i + 1} of ${tokens.length})`);
        const r = await this.backend.testToken(t.id);
        if (r.success) passed++;
        outcomes.push(`${providerLabel(t)}: ${r.status}`);
      }
      return { passed, failed: tokens.length - passed, outcomes };
    });
    if (result.passed + result.failed === 0) {
      void this.ui.info('No tokens saved yet: nothing to test.');
    } else {
      const text = `Tested ${result.passed + result.failed} tokens: ${result.outcomes.join(', ')}.`;
      // Failed ones are replaced or reconnected in the view, where each row says which.
      void (result.failed ? showWarning(this.ui, text, fixes.openView('git')) : this.ui.info(text));
    }
    return { passed: result.passed, failed: result.failed };
  }

  /** Registers the default SSH key at `provider` with the user's token there. */
  async registerSshKey(
    provider: GitProvider,
    usage?: KeyUsage,
  ): Promise<{ status: string; detail: string }> {
    const key = await this.requireKey();
    const label = providerLabel({ provider, envVar: null });
    const what = usage === 'signing' ? 'signing key' : usage === 'both' ? 'key (both uses)' : 'key';
    const r = await this.ui.progress(`Registering your SSH ${what} with ${label}…`, () =>
      this.backend.registerSshKey(key.id, provider, usage),
    );
    if (r.status === 'error') {
      const fix: Fix = isOAuthProvider(provider)
        ? fixes.reconnect(provider)
        : fixes.openView('git');
      void showWarning(this.ui, `${label} did not take the SSH key: ${r.detail}`, fix);
    } else {
      void this.ui.info(
        r.status === 'registered'
          ? `SSH ${what} registered with ${label}.`
          : `${label} already has this SSH key.`,
      );
    }
    return r;
  }

  /** Deletes a token after a modal question naming it; false when the user declined. */
  async deleteToken(token: TokenView): Promise<boolean> {
    const label = `${providerLabel(token)} token "${token.name}" (${token.hint})`;
    const sure = await this.ui.confirm(
      `Delete the ${label}?`,
      'Workspaces lose it at their next injection or git request. This cannot be undone.',
      'Delete',
    );
    if (!sure) return false;
    await this.backend.deleteToken(token.id);
    void this.ui.info(`Deleted the ${label}.`);
    return true;
  }

  async inject(): Promise<{ workspaceId: string; files: string[] }> {
    const workspaceId = this.workspaceId();
    const r = await this.ui.progress(`Injecting credentials into ${workspaceId}…`, () =>
      this.backend.inject(workspaceId),
    );
    const done = `Injected ${r.files.length} files into workspace ${r.workspaceId}.`;
    // A dotfile left alone (a link to outside the home, ...): the user should know why.
    if (r.notes.length > 0) void this.ui.warn(`${done} ${r.notes.join('; ')}.`);
    else void this.ui.info(done);
    return { workspaceId: r.workspaceId, files: r.files };
  }

  async clearAll(): Promise<{ deleted: number; workspacesCleared: number } | null> {
    const ok = await this.ui.confirm(
      'Clear all credentials?',
      'This deletes your SSH key and every saved token from the credential service and removes ' +
        'what was injected into your workspaces. It cannot be undone.',
      'Clear All',
    );
    if (!ok) return null;
    const r = await this.ui.progress('Clearing all credentials…', () => this.backend.clearAll());
    void this.ui.info(
      `Deleted ${r.deleted} credentials and cleared ${r.workspacesCleared} workspaces.`,
    );
    return r;
  }

  async exportAudit(format: 'json' | 'csv'): Promise<string | null> {
    const content = await this.backend.exportAudit(format);
    const where = await this.ui.saveFile(`xares-audit.${format}`, content);
    if (where) void this.ui.info(`Audit log saved to ${where}.`);
    return where ?? null;
  }
}

/** What fixes a token whose test failed: a new OAuth sign-in, or a new token in the view. */
function fixForToken(token: TokenView, status: TestResultView['status']): Fix {
  if (status === 'unreachable') return fixes.tryAgain('testAll');
  if (token.type === 'git_token' && isOAuthProvider(token.provider)) {
    return fixes.reconnect(token.provider);
  }
  return fixes.openView(token.type === 'git_token' ? 'git' : 'ai');
}
