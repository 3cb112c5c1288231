// Issue 15's VS Code conventions in real code-server: the walkthrough (its steps, a step's
// button running the command, the step checked when done, the first sign-in asking before it
// sends anything to a new address), the signed-in account in the Accounts menu, and sign-out
// from there. Also "Connect GitHub or GitLab" against a service with no OAuth app configured.
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import {
  answerDialog,
  answerInput,
  launchBrowser,
  notification,
  openCredentials,
  openWorkbench,
  pickRow,
  runCommand,
  statusBarText,
  workbenchHooks,
} from '../support/browser';
import { packageExtension, startCodeServer } from '../support/codeServer';
import type { CodeServer } from '../support/codeServer';
import { tierSuite } from '../support/tiers';
import { startTestService } from '../support/service';
import type { TestService } from '../support/service';

const USER = 'dora';
const PASSWORD = 'e2e-password-for-dora';
const WALKTHROUGH = 'Get Started with XaresAICoder Credentials';
const STEPS = [
  'Sign in',
  'Generate your SSH key',
  'Register the key with your git host',
  'Connect a git provider',
  'Add an AI provider key',
  'Inject into this workspace',
];

tierSuite('e2e', 'walkthrough and Accounts menu in code-server', function () {
  let service: TestService;
  let server: CodeServer;
  let browser: Browser;
  let page: Page;

  before(async function () {
    this.timeout(300_000);
    const [vsix, svc] = await Promise.all([
      packageExtension(),
      startTestService({ dialect: 'sqlite' }),
    ]);
    service = svc;
    await service.createUser(USER, PASSWORD);
    server = await startCodeServer({
      vsix,
      settings: { 'xaresCredentials.serviceUrl': service.url },
    });
    browser = await launchBrowser();
    page = await openWorkbench(browser, server.url, server.folder);
    await openCredentials(page);
  });

  workbenchHooks(() => page);

  after(async function () {
    this.timeout(60_000);
    await browser?.close().catch(() => undefined);
    await server?.close().catch(() => undefined);
    await service?.close().catch(() => undefined);
  });

  /** Live user sessions of the service (sign-out from the Accounts menu must end them). */
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

  const step = (id: string) => page.locator(`button.getting-started-step[data-step-id$="${id}"]`);
  const stepDone = (id: string) => page.locator(`[data-done-step-id$="${id}"]`).first();

  /** Opens the walkthrough (again: Escape, which the palette helper presses, leaves it). */
  async function openWalkthrough() {
    await runCommand(page, 'Welcome: Open Walkthrough...');
    await pickRow(page, WALKTHROUGH);
    await page.locator('.gettingStartedSlideDetails button.getting-started-step').first().waitFor();
  }

  it('the walkthrough lists its six steps, each with a button', async () => {
    await openWalkthrough();
    const titles = await page
      .locator('.gettingStartedSlideDetails button.getting-started-step h3.step-title')
      .allInnerTexts();
    assert.deepEqual(
      titles.map((t) => t.trim()),
      STEPS,
    );
  });

  it('its Sign In button signs in: the new address is shown and confirmed first', async () => {
    await openWalkthrough();
    await step('signIn').click();
    await page
      .locator('[x-step-description-for$="signIn"]')
      .getByRole('button', { name: 'Sign In' })
      .click();
    // First sign-in to this address: a modal names it before anything is sent.
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor();
    assert.ok((await dialog.innerText()).includes(service.url), await dialog.innerText());
    assert.equal(await liveUserSessions(), 0);
    await answerDialog(page, 'Sign In');
    await answerInput(page, 'Username', USER);
    await answerInput(page, 'Password', PASSWORD);
    await notification(page, `as ${USER}`);
    await page.waitForFunction(
      `document.querySelector('[data-done-step-id$="signIn"]')?.getAttribute('aria-checked') === 'true'`,
      undefined,
      { timeout: 20_000 },
    );
    assert.equal(await stepDone('signIn').getAttribute('aria-checked'), 'true');
    assert.equal(await liveUserSessions(), 1);
  });

  it('its Connect step says what the operator must configure when no OAuth app is set up', async () => {
    await openWalkthrough();
    await step('connectProvider').click();
    await page
      .locator('[x-step-description-for$="connectProvider"]')
      .getByRole('button', { name: 'Connect GitHub or GitLab' })
      .click();
    await pickRow(page, 'GitHub');
    const text = await notification(page, /GitHub sign-in/);
    assert.match(text, /GITHUB_OAUTH_CLIENT_ID/);
    const toast = page
      .locator('.notifications-toasts .notification-toast')
      .filter({ hasText: 'GITHUB_OAUTH_CLIENT_ID' });
    await toast.getByRole('button', { name: 'Add a Token Instead' }).waitFor();
  });

  it('the Accounts menu shows the account; Sign Out there signs out everywhere', async () => {
    await page.keyboard.press('Escape');
    const accounts = page.locator('.activitybar [aria-label="Accounts"]').first();
    const entry = page.locator('.monaco-menu .action-label', {
      hasText: `${USER} (XaresAICoder Credentials)`,
    });
    // The menu learns of accounts when the workbench is idle: open it until the entry shows.
    for (let attempt = 0; ; attempt++) {
      await accounts.click();
      try {
        await entry.first().waitFor({ timeout: 3_000 });
        break;
      } catch (err) {
        await page.keyboard.press('Escape');
        if (attempt >= 10) throw err;
      }
    }
    await entry.first().hover();
    await entry.first().click();
    const signOut = page.locator('.monaco-menu .action-label', { hasText: /^Sign Out$/ });
    await signOut.click();
    const dialog = page.locator('.monaco-dialog-box');
    // A click that lands while the submenu is still opening only highlights the item (seen on a
    // loaded machine): the highlighted item then takes Enter.
    try {
      await dialog.waitFor({ timeout: 5_000 });
    } catch {
      await page.keyboard.press('Enter');
      await dialog.waitFor();
    }
    assert.match(await dialog.innerText(), new RegExp(`Sign out of '${USER}'`));
    await answerDialog(page, 'Sign Out');

    const view = await openCredentials(page, { viaCommand: true });
    await view.locator('#signed-out').waitFor({ timeout: 20_000 });
    await page.waitForFunction(
      `document.querySelector('[id="xaresaicoder.xaresaicoder-credentials.xaresCredentials.status"]')?.textContent?.includes('signed out')`,
    );
    assert.match(await statusBarText(page), /signed out/);
    assert.equal(await liveUserSessions(), 0, 'the service session ended too');

    // And the menu no longer lists it.
    await accounts.click();
    await page.waitForTimeout(1_000);
    assert.equal(await entry.count(), 0);
    await page.keyboard.press('Escape');
  });
});
