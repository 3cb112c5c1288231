// The whole extension, packaged and installed into real code-server, driven in Chromium against
// the real service on loopback (providers faked on loopback, a real Docker container to inject
// into): palette sign-in, every section, tokens saved and tested, SSH key, injection, audit,
// sign-out; screenshots of the view in light and dark themes land in test-artifacts/.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Frame, Page } from 'playwright-core';
import {
  answerDialog,
  answerInput,
  credentialsFrame,
  launchBrowser,
  notification,
  openCredentials,
  openWorkbench,
  pickRow,
  runCommand,
  STATUS_ITEM,
  statusBarText,
  workbenchHooks,
} from '../support/browser';
import { SESSION_CACHE_MS } from '../../service/accounts/sessions';
import { packageExtension, startCodeServer } from '../support/codeServer';
import type { CodeServer } from '../support/codeServer';
import { ARTIFACTS_DIR, tierSuite } from '../support/tiers';
import { startFakeProviders } from '../support/fakeProviders';
import type { FakeProviders } from '../support/fakeProviders';
import { startTestService } from '../support/service';
import type { TestService } from '../support/service';

const run = promisify(execFile);
const IMAGE = process.env.XARES_TEST_IMAGE || 'xares-workspace-test:1';
const USER = 'alice';
const PASSWORD = 'e2e-password-for-alice';
const GITHUB_TOKEN = `ghp_e2e${randomBytes(12).toString('hex')}`;
const OPENAI_BAD = `sk-bad${randomBytes(12).toString('hex')}`;
const OPENAI_KEY = `sk-e2e${randomBytes(12).toString('hex')}`;
const FORGEJO_TOKEN = `fj${randomBytes(16).toString('hex')}`;
const ANTHROPIC_KEY = `sk-ant-e2e${randomBytes(12).toString('hex')}`;

/** The `value` property of a vscode-textarea/textfield (runs in the page). */
const valueOf = (el: unknown) => (el as { value: string }).value;

async function docker(...args: string[]): Promise<string> {
  const { stdout } = await run('docker', args, { timeout: 60_000 });
  return stdout.trim();
}

tierSuite('e2e', 'Credentials extension in code-server', function () {
  let service: TestService;
  let fake: FakeProviders;
  let server: CodeServer;
  let browser: Browser;
  let page: Page;
  let view: Frame;
  let vsixPath: string;
  const container = `xares-e2e-${randomBytes(4).toString('hex')}`;

  before(async function () {
    this.timeout(300_000);
    mkdirSync(ARTIFACTS_DIR, { recursive: true });
    fake = await startFakeProviders();
    const [vsix, svc] = await Promise.all([
      packageExtension(),
      startTestService({ dialect: 'sqlite', env: fake.env }),
    ]);
    service = svc;
    vsixPath = vsix;
    await service.createUser(USER, PASSWORD);
    fake.github.addToken(GITHUB_TOKEN, {
      login: USER,
      scopes: ['repo', 'user', 'admin:public_key'],
      // Expires in 3 days: the status bar must warn.
      expiresAt: Date.now() + 3 * 86_400_000,
    });
    fake.openai.addToken(OPENAI_KEY);
    fake.forgejo.addToken(FORGEJO_TOKEN, { login: USER });
    fake.anthropic.addToken(ANTHROPIC_KEY);
    await docker(
      'run',
      '-d',
      '--name',
      container,
      '--network',
      'host',
      '--label',
      `xaresaicoder.owner=${USER}`,
      IMAGE,
      'sleep',
      'infinity',
    );
    server = await startCodeServer({
      vsix,
      settings: {
        'xaresCredentials.serviceUrl': service.url,
        'workbench.colorTheme': 'Default Dark Modern',
      },
      env: { XARES_WORKSPACE_ID: container },
    });
    browser = await launchBrowser();
    page = await openWorkbench(browser, server.url, server.folder);
    view = await openCredentials(page);
  });

  workbenchHooks(() => page);

  after(async function () {
    this.timeout(60_000);
    await browser?.close().catch(() => undefined);
    await server?.close().catch(() => undefined);
    await service?.close().catch(() => undefined);
    await fake?.close().catch(() => undefined);
    await docker('rm', '-f', container).catch(() => undefined);
  });

  /** Everything the webview document holds as text and attribute values. */
  async function viewSource(): Promise<string> {
    // A string, because this file is type-checked without the DOM library.
    return view.evaluate<string>(`(() => {
      const parts = [document.documentElement.outerHTML];
      for (const el of document.querySelectorAll('vscode-textfield, vscode-textarea')) {
        parts.push(String(el.value ?? ''));
      }
      return parts.join('\\n');
    })()`);
  }

  async function statusIcons(): Promise<string> {
    return page.locator(STATUS_ITEM).innerHTML();
  }

  it('signs in through the palette (username, then a hidden password box)', async () => {
    await view.locator('#signed-out').waitFor();
    assert.match(await statusBarText(page), /signed out/);
    await runCommand(page, 'Credentials: Sign In');
    // The first sign-in to this address shows it and asks first.
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor();
    assert.ok((await dialog.innerText()).includes(service.url), await dialog.innerText());
    await answerDialog(page, 'Sign In');
    await answerInput(page, 'Username', USER);
    const pw = page.locator('.quick-input-widget .quick-input-box input');
    await page.locator('.quick-input-widget').filter({ hasText: 'Password' }).waitFor();
    assert.equal(await pw.getAttribute('type'), 'password');
    await answerInput(page, 'Password', PASSWORD);
    await notification(page, `as ${USER}`);
    await view.locator('#signed-in-as').waitFor();
    assert.match(
      await view.locator('#signed-in-as').innerText(),
      new RegExp(`Signed in as ${USER}`),
    );
    await page.waitForFunction(
      `!document.querySelector('${STATUS_ITEM}')?.textContent?.includes('signed out')`,
    );
  });

  it('shows every section of the Credentials tab', async () => {
    for (const [id, title] of [
      ['ssh', 'SSH Key'],
      ['git', 'Git Providers'],
      ['ai', 'AI Providers'],
      ['security', 'Security Settings'],
      ['audit', 'Audit Log'],
    ]) {
      const heading = view.locator(`#heading-${id}`);
      assert.equal((await heading.textContent())?.trim(), title);
    }
    for (const id of [
      'github',
      'forgejo',
      'gitlab',
      'openai',
      'anthropic',
      'google',
      'custom-new',
    ]) {
      await view.locator(`#row-${id}`).waitFor();
    }
    assert.match(await view.locator('#row-anthropic').innerText(), /Used by: Cline, Claude Code/);
    assert.equal(await view.locator('#setting-autoInject').count(), 1);
    assert.equal(await view.locator('#clear-all').count(), 1);
  });

  async function saveToken(row: string, secret: string) {
    await view.locator(`#${row}-token input`).fill(secret);
    await view.locator(`#${row}-save`).click();
    await view
      .locator(`#row-${row} .token-state`)
      .filter({ hasText: `Saved …${secret.slice(-4)}` })
      .waitFor();
  }

  async function testToken(row: string, expect: RegExp) {
    await view.locator(`#${row}-test`).click();
    await view
      .locator(`#row-${row} .token-state`)
      .filter({ hasText: expect })
      .waitFor({ timeout: 30_000 });
  }

  it('saves a GitHub token and an OpenAI key, shown only as hints, and tests them', async () => {
    await saveToken('github', GITHUB_TOKEN);
    await saveToken('openai', OPENAI_BAD);
    const source = await viewSource();
    for (const secret of [GITHUB_TOKEN, OPENAI_BAD]) {
      assert.ok(!source.includes(secret), 'a saved secret must not stay in the webview');
      assert.ok(!service.logs().includes(secret), 'nor appear in the service log');
    }
    await testToken('github', /✓ valid/);
    assert.match(await view.locator('#row-github').innerText(), /expires in [23] days/);
    await testToken('openai', /✗ invalid/);
    // A failed test and a token expiring within 7 days: the status bar warns.
    await page.waitForFunction(
      `document.querySelector('${STATUS_ITEM}')?.innerHTML.includes('codicon-error')`,
    );
    const icons = await statusIcons();
    assert.match(icons, /codicon-warning/);
    assert.match(await statusBarText(page), /GitHub.*OpenAI/s);
    const tooltip = await page.locator(STATUS_ITEM).getAttribute('aria-label');
    assert.match(tooltip ?? '', /Failed last test: OpenAI/);
    assert.match(tooltip ?? '', /Expiring within 7 days: GitHub/);

    await saveToken('openai', OPENAI_KEY);
    await testToken('openai', /✓ valid/);
    await page.waitForFunction(
      `!document.querySelector('${STATUS_ITEM}')?.innerHTML.includes('codicon-error')`,
    );
    assert.doesNotMatch(await statusIcons(), /codicon-error/);
  });

  it('generates an SSH key, copies it, and asks before replacing it', async () => {
    await view.locator('#ssh-generate').click();
    await notification(page, 'New SSH key generated');
    const textarea = view.locator('#ssh-public-key');
    await textarea.waitFor();
    const publicKey = await textarea.evaluate(valueOf);
    assert.match(publicKey, /^ssh-ed25519 AAAA[0-9A-Za-z+/=]+/);

    await view.locator('#ssh-copy').click();
    await notification(page, 'Public key copied');
    const copied = await page.evaluate<string>('navigator.clipboard.readText()');
    assert.equal(copied.trim(), publicKey.trim());

    // Export Public: the editor's save dialog (code-server's own, in the quick input) proposes
    // the project folder; accepting writes the public key there.
    await view.locator('#ssh-export').click();
    const pathInput = page.locator('.quick-input-widget .quick-input-box input');
    await page.locator('.quick-input-widget').filter({ hasText: /Save/ }).waitFor();
    // The dialog fills in its proposal a moment after it opens.
    for (let i = 0; i < 40 && !(await pathInput.inputValue()).endsWith('.pub'); i++) {
      await page.waitForTimeout(250);
    }
    assert.match(await pathInput.inputValue(), /project\/xaresaicoder_ed25519\.pub$/);
    await pathInput.press('Enter');
    await notification(page, 'Public key saved to');
    const exported = readFileSync(path.join(server.folder, 'xaresaicoder_ed25519.pub'), 'utf8');
    assert.equal(exported.trim(), publicKey.trim());

    // Registered with GitHub through the saved token (the fake answers like GitHub's /user/keys).
    await view.locator('#ssh-register-github').click();
    await view.locator('#ssh-registration-github').filter({ hasText: '✓ registered' }).waitFor();
    assert.match(await view.locator('#ssh-registration-gitlab').innerText(), /not registered/);

    await view.locator('#ssh-generate').click();
    await answerDialog(page, 'Cancel');
    await page.waitForTimeout(500);
    const after = await view.locator('#ssh-public-key').evaluate(valueOf);
    assert.equal(after, publicKey, 'cancelling keeps the key');
  });

  it('injects into the running workspace container', async () => {
    await runCommand(page, 'Credentials: Inject Credentials into This Workspace');
    await notification(page, `into workspace`);
    const listing = await docker(
      'exec',
      container,
      'sh',
      '-c',
      'cd /home/coder && stat -c "%a %U %n" .ssh/id_ed25519 .ssh/id_ed25519.pub .config/xares/workspace-token .env && grep -c OPENAI_API_KEY .env',
    );
    assert.match(listing, /600 coder \.ssh\/id_ed25519\n/);
    assert.match(listing, /644 coder \.ssh\/id_ed25519\.pub/);
    assert.match(listing, /600 coder \.config\/xares\/workspace-token/);
    assert.match(listing, /600 coder \.env\n1$/);
    const pub = await docker('exec', container, 'cat', '/home/coder/.ssh/id_ed25519.pub');
    const shown = await view.locator('#ssh-public-key').evaluate(valueOf);
    assert.equal(pub.trim(), shown.trim());
  });

  it('inside the workspace, signs itself in with the injected workspace token', async () => {
    const home = '/home/coder/.config/xares';
    const token = await docker('exec', container, 'cat', `${home}/workspace-token`);
    const serviceUrl = await docker('exec', container, 'cat', `${home}/service-url`);
    // A second editor with the container's home files and the service URL setting left at its
    // default: what code-server running inside the workspace sees.
    const inside = await startCodeServer({
      vsix: vsixPath,
      env: { XARES_WORKSPACE_ID: container },
      homeFiles: {
        '.config/xares/workspace-token': `${token}\n`,
        '.config/xares/service-url': `${serviceUrl}\n`,
      },
    });
    const context = await browser.newContext({ viewport: { width: 1400, height: 950 } });
    try {
      const page2 = await context.newPage();
      await page2.goto(`${inside.url}/?folder=${encodeURIComponent(inside.folder)}`);
      await page2.locator('.activitybar').waitFor({ timeout: 60_000 });
      const view2 = await openCredentials(page2);
      await view2.locator('#signed-in-as').waitFor({ timeout: 30_000 });
      assert.match(
        await view2.locator('#signed-in-as').innerText(),
        new RegExp(`Signed in as ${USER} \\(workspace token`),
      );
      // A workspace session lists tokens (hints only) but may not change settings.
      await view2.locator('#row-github .token-state').filter({ hasText: 'Saved' }).waitFor();
      assert.match(
        await view2.locator('#section-security').innerText(),
        /Sign in with your account/,
      );
      await page2.waitForFunction(
        `document.querySelector('${STATUS_ITEM}')?.textContent?.includes('GitHub')`,
      );
    } finally {
      await context.close();
      await inside.close();
    }
  });

  it('the audit log shows those actions, and filters by action', async () => {
    await runCommand(page, 'Credentials: Show Audit Log');
    view = await credentialsFrame(page);
    await view.locator('#audit-table').waitFor();
    const text = await view.locator('#audit-table').innerText();
    for (const action of ['login', 'create', 'test', 'inject']) {
      assert.match(text, new RegExp(`\\b${action}\\b`), `audit shows ${action}`);
    }
    await view.locator('#audit-filter').selectOption('inject');
    await view.locator('#live').filter({ hasText: 'for inject' }).waitFor();
    const actions = await view.locator('#audit-table .audit-action').allInnerTexts();
    assert.ok(actions.length > 0);
    assert.deepEqual([...new Set(actions)], ['inject']);
    // The view re-renders after each command; the filter the user chose stays.
    await runCommand(page, 'Credentials: Show Audit Log');
    await page.waitForTimeout(2_000);
    const again = await view.locator('#audit-table .audit-action').allInnerTexts();
    assert.deepEqual([...new Set(again)], ['inject']);
  });

  it('exports the audit log as CSV through the save dialog, with no secret in it', async () => {
    await view.locator('#audit-export-csv').click();
    // code-server's save dialog is a quick input holding the path, the workspace folder's file.
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor();
    await page.waitForFunction(
      `document.querySelector('.quick-input-widget .quick-input-box input')?.value.endsWith('xares-audit.csv')`,
    );
    await input.press('Enter');
    await notification(page, 'Audit log saved to');
    const csv = readFileSync(path.join(server.folder, 'xares-audit.csv'), 'utf8');
    const [header, ...rows] = csv.trim().split(/\r?\n/);
    assert.match(header ?? '', /\baction\b.*\boutcome\b/);
    // Text fields are quoted: the action column of a sign-in reads "login".
    for (const action of ['login', 'create', 'test', 'inject']) {
      assert.ok(
        rows.some((r) => r.includes(`,"${action}","success",`)),
        `the export has a ${action} row:\n${csv.slice(0, 600)}`,
      );
    }
    for (const secret of [GITHUB_TOKEN, OPENAI_KEY, OPENAI_BAD, PASSWORD]) {
      assert.ok(!csv.includes(secret), 'no secret in the export');
    }
  });

  /** Live (unexpired, unrevoked) user sessions of USER on the service. */
  async function liveUserSessions(): Promise<number> {
    const rows = await service.service.store.db
      .selectFrom('sessions')
      .select('id')
      .where('kind', '=', 'user')
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', Date.now())
      .execute();
    return rows.length;
  }

  it('an expired session leads back to sign-in with a clear message', async () => {
    // The service forgets the session (as after CREDENTIAL_SESSION_TIMEOUT unused).
    await service.service.store.db
      .updateTable('sessions')
      .set({ expires_at: 1 })
      .where('kind', '=', 'user')
      .execute();
    // Changed in the database behind the service's back, as another process would: the service
    // sees it once its cached lookup is older than SESSION_CACHE_MS.
    await new Promise((resolve) => setTimeout(resolve, SESSION_CACHE_MS + 100));
    await view.locator('#github-test').click();
    const toast = page
      .locator('.notifications-toasts .notification-toast')
      .filter({ hasText: 'Your session has expired. Sign in again.' });
    await toast.waitFor();
    await view.locator('#signed-out').filter({ hasText: 'Your session has expired' }).waitFor();
    assert.doesNotMatch(await toast.innerText(), /\bat\b.*:\d+:\d+/, 'no stack trace');
    await toast.getByRole('button', { name: 'Sign In Again' }).click();
    await answerInput(page, 'Username', USER);
    await answerInput(page, 'Password', PASSWORD);
    await view.locator('#signed-in-as').waitFor();
    assert.equal(await liveUserSessions(), 1);
  });

  it('reads well in light and dark themes (screenshots)', async () => {
    const sidebar = page.locator('.part.sidebar');
    for (const [name, theme, workbenchClass, webviewKind] of [
      ['light', 'Light Modern', 'vs', 'vscode-light'],
      ['high-contrast', 'Dark High Contrast', 'hc-black', 'vscode-high-contrast'],
      ['dark', 'Dark Modern', 'vs-dark', 'vscode-dark'],
    ] as const) {
      await runCommand(page, 'Preferences: Color Theme');
      await pickRow(page, theme);
      await page.waitForFunction(
        `document.querySelector('.monaco-workbench')?.classList.contains('${workbenchClass}')`,
        undefined,
        { timeout: 20_000 },
      );
      await page.waitForTimeout(800); // the webview picks up the new theme variables
      await view.locator('#heading-ssh').scrollIntoViewIfNeeded();
      await sidebar.screenshot({ path: path.join(ARTIFACTS_DIR, `credentials-view-${name}.png`) });
      await view.locator('#heading-ai').scrollIntoViewIfNeeded();
      await sidebar.screenshot({
        path: path.join(ARTIFACTS_DIR, `credentials-view-${name}-ai.png`),
      });
      await view.locator('#heading-audit').scrollIntoViewIfNeeded();
      await sidebar.screenshot({
        path: path.join(ARTIFACTS_DIR, `credentials-view-${name}-audit.png`),
      });
      // The webview's own body carries the theme kind VS Code gives it.
      const kind = await view.evaluate<string>('document.body.dataset.vscodeThemeKind ?? ""');
      assert.equal(kind, webviewKind);
    }
  });

  /** Takes the "Test Now" offer of the toast that says `saved`. */
  async function testNowFromToast(saved: string) {
    const toast = page
      .locator('.notifications-toasts .notification-toast')
      .filter({ hasText: saved });
    try {
      await toast.waitFor({ timeout: 10_000 });
      await toast.getByRole('button', { name: 'Test Now' }).click();
    } catch {
      // Toasts come and go on their own (and a busy workbench shows only a few): the offer is
      // in the notification center too.
      await runCommand(page, 'Notifications: Show Notifications');
      const row = page
        .locator('.notifications-center .notification-list-item')
        .filter({ hasText: saved })
        .first();
      await row.waitFor({ timeout: 20_000 });
      await row.hover();
      await row.getByRole('button', { name: 'Test Now' }).click();
      await runCommand(page, 'Notifications: Hide Notifications').catch(() => undefined);
    }
  }

  it('adds a Forgejo token and an Anthropic key from the palette, and tests them on request', async () => {
    await runCommand(page, 'Credentials: Add Git Token');
    await pickRow(page, 'Forgejo / Gitea');
    // A Forgejo token needs its server: this one is the fake on loopback, so http is allowed.
    await answerInput(page, 'Forgejo server URL', fake.urls.forgejoUrl);
    await page.locator('.quick-input-widget').filter({ hasText: 'Access token' }).waitFor();
    const box = page.locator('.quick-input-widget .quick-input-box input');
    assert.equal(await box.getAttribute('type'), 'password');
    await answerInput(page, 'Access token', FORGEJO_TOKEN);
    await testNowFromToast(`forgejo token …${FORGEJO_TOKEN.slice(-4)} saved.`);
    await view
      .locator('#row-forgejo .token-state')
      .filter({ hasText: `Saved …${FORGEJO_TOKEN.slice(-4)} · ✓ valid` })
      .waitFor({ timeout: 30_000 });
    assert.equal(await view.locator('#forgejo-url').evaluate(valueOf), fake.urls.forgejoUrl);

    await runCommand(page, 'Credentials: Add AI Provider Key');
    await pickRow(page, 'Anthropic');
    await answerInput(page, 'API key', ANTHROPIC_KEY);
    await testNowFromToast(`anthropic key …${ANTHROPIC_KEY.slice(-4)} saved.`);
    await view
      .locator('#row-anthropic .token-state')
      .filter({ hasText: `Saved …${ANTHROPIC_KEY.slice(-4)} · ✓ valid` })
      .waitFor({ timeout: 30_000 });

    const source = await viewSource();
    for (const secret of [FORGEJO_TOKEN, ANTHROPIC_KEY]) {
      assert.ok(!source.includes(secret), 'a saved secret must not reach the webview');
      assert.ok(!service.logs().includes(secret), 'nor appear in the service log');
    }
    assert.match(await statusBarText(page), /Forgejo.*Anthropic|Anthropic.*Forgejo/s);
  });

  it('Clear All Credentials asks in a modal first, then removes everything, also from the container', async () => {
    await view.locator('#clear-all').click();
    await answerDialog(page, 'Cancel');
    await page.waitForTimeout(500);
    await view.locator('#row-github .token-state').filter({ hasText: 'Saved' }).waitFor();

    await view.locator('#clear-all').click();
    await answerDialog(page, 'Clear All');
    await notification(page, /Deleted \d+ credentials and cleared 1 workspaces/);
    await view.locator('#row-github .token-state').filter({ hasText: 'Not saved yet' }).waitFor();
    assert.equal(await view.locator('#ssh-public-key').count(), 0);
    const left = await docker(
      'exec',
      container,
      'sh',
      '-c',
      'cd /home/coder && ls .ssh/id_ed25519 .env .config/xares/workspace-token 2>/dev/null | wc -l',
    );
    assert.equal(left, '0');
  });

  it('sign-out clears the secret: signed out even after a reload', async () => {
    // Still signed in after a reload first: the session really is kept in SecretStorage.
    await page.reload();
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    view = await openCredentials(page, { viaCommand: true });
    await view.locator('#signed-in-as').waitFor({ timeout: 30_000 });

    assert.equal(await liveUserSessions(), 1);
    await view.locator('#sign-out').click();
    await view.locator('#signed-out').waitFor();
    assert.match(await statusBarText(page), /signed out/);
    assert.equal(await liveUserSessions(), 0, 'sign-out also ended the session on the service');

    await page.reload();
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    view = await openCredentials(page, { viaCommand: true });
    await view.locator('#signed-out').waitFor({ timeout: 30_000 });
    await page.waitForTimeout(1_500); // give a stored session time to show up, if there were one
    assert.equal(await view.locator('#signed-in-as').count(), 0);
  });
});
