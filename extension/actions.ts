// User-level actions shared by palette commands and the view: each confirms what needs
// confirming, runs long work under progress, and says what happened in a notification.
import type { SshKeyView, TestResultView, TokenView } from '../protocol/model';
import type { CredentialsBackend } from './backend';
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
    const text =
      r.status === 'valid'
        ? `${what} works${r.account ? ` (account ${r.account})` : ''}.`
        : `${what} is ${r.status}${r.detail ? `: ${r.detail}` : ''}.`;
    void (r.success ? this.ui.info(text) : this.ui.warn(text));
    return r;
  }

  /** Tests every saved token; one summary notification. */
  async testAll(): Promise<{ passed: number; failed: number }> {
    const result = await this.ui.progress('Testing all tokens…', async () => {
      const tokens = await this.backend.listTokens();
      const outcomes: string[] = [];
      let passed = 0;
      for (const t of tokens) {
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
      void (result.failed ? this.ui.warn(text) : this.ui.info(text));
    }
    return { passed: result.passed, failed: result.failed };
  }

  async inject(): Promise<{ workspaceId: string; files: string[] }> {
    const workspaceId = this.workspaceId();
    const r = await this.ui.progress(`Injecting credentials into ${workspaceId}…`, () =>
      this.backend.inject(workspaceId),
    );
    void this.ui.info(`Injected ${r.files.length} files into workspace ${r.workspaceId}.`);
    return r;
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
