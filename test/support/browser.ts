// Debian's Chromium driven by playwright-core, with helpers for the parts of the code-server
// workbench the e2e tier touches: palette, input boxes, notifications, dialogs, status bar and
// the Credentials webview (which sits in nested iframes).
import path from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Frame, Page } from 'playwright-core';
import { ARTIFACTS_DIR } from './tiers';

const CHROMIUM = process.env.XARES_CHROMIUM || '/usr/bin/chromium';
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true, timeout: 60_000 });
}

export async function openWorkbench(browser: Browser, url: string, folder: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 950 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: url });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  await page.goto(`${url}/?folder=${encodeURIComponent(folder)}`, { timeout: 60_000 });
  await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
  await page.locator('.activitybar').waitFor();
  return page;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Clicks the quick-input row whose label is exactly `label` (not merely the first match). */
export async function pickRow(page: Page, label: string, timeout?: number): Promise<void> {
  const row = page
    .locator('.quick-input-list .monaco-list-row')
    .filter({
      has: page.locator('.label-name', { hasText: new RegExp(`^\\s*${escapeRegExp(label)}\\s*$`) }),
    })
    .first();
  await row.waitFor({ timeout });
  await row.click();
}

/** Runs a palette command by its full title ("Credentials: Sign In"). */
export async function runCommand(page: Page, title: string): Promise<void> {
  // Right after a (re)load the palette may not list extension commands yet: try again.
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('Escape');
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    const opened = await input
      .waitFor({ timeout: 10_000 })
      .then(() => true)
      .catch(() => false);
    if (!opened) {
      // F1 went to a place that keeps it (a webview's frame, a toast's button): give the
      // workbench the focus back and try again.
      if (attempt >= 3) await input.waitFor({ timeout: 1_000 });
      await page
        .locator('.statusbar')
        .click({ position: { x: 600, y: 5 } })
        .catch(() => undefined);
      continue;
    }
    await input.fill(`>${title}`);
    try {
      await pickRow(page, title, attempt < 3 ? 10_000 : undefined);
      return;
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
}

/** Answers the open input box (after checking its prompt mentions `promptPart`). */
export async function answerInput(page: Page, promptPart: string, value: string): Promise<void> {
  const widget = page.locator('.quick-input-widget');
  await widget.filter({ hasText: promptPart }).waitFor();
  const input = widget.locator('.quick-input-box input');
  // On a loaded machine the box can take its value before the workbench wires it up and lose
  // it: fill until the value holds, then confirm.
  for (let attempt = 0; ; attempt++) {
    await input.fill(value);
    if ((await input.inputValue()) === value || attempt >= 5) break;
    await page.waitForTimeout(200);
  }
  await input.press('Enter');
  // The same race can swallow the Enter: the box then stays open with our value, and the next
  // step (a palette command, say) would close it and cancel the flow. Press again only while
  // this very box is still open with the value in it.
  const open = widget.filter({ hasText: promptPart });
  for (let attempt = 0; attempt < 5; attempt++) {
    const gone = await open
      .waitFor({ state: 'hidden', timeout: 2_000 })
      .then(() => true)
      .catch(() => false);
    if (gone) return;
    if ((await input.inputValue().catch(() => '')) !== value) return;
    await input.press('Enter');
  }
}

/**
 * Waits for a notification containing `text` and returns its full text: as a toast, or (toasts
 * come and go on their own) in the notification center.
 */
export async function notification(page: Page, text: string | RegExp): Promise<string> {
  const toast = page.locator('.notifications-toasts .notification-toast').filter({ hasText: text });
  try {
    await toast.first().waitFor({ timeout: 10_000 });
    return (await toast.first().innerText()).trim();
  } catch {
    await runCommand(page, 'Notifications: Show Notifications');
    const row = page
      .locator('.notifications-center .notification-list-item')
      .filter({ hasText: text })
      .first();
    try {
      await row.waitFor({ timeout: 20_000 });
      return (await row.innerText()).trim();
    } finally {
      await runCommand(page, 'Notifications: Hide Notifications').catch(() => undefined);
    }
  }
}

export async function clearNotifications(page: Page): Promise<void> {
  await runCommand(page, 'Notifications: Clear All Notifications');
  await page
    .locator('.notifications-toasts .notification-toast')
    .first()
    .waitFor({ state: 'detached', timeout: 5_000 })
    .catch(() => undefined);
}

/** Clicks `label` in the open modal dialog. */
export async function answerDialog(page: Page, label: string): Promise<void> {
  const dialog = page.locator('.monaco-dialog-box');
  await dialog.waitFor();
  await dialog.getByRole('button', { name: label }).click();
}

export const STATUS_ITEM = '[id="xaresaicoder.xaresaicoder-credentials.xaresCredentials.status"]';

export async function statusBarText(page: Page): Promise<string> {
  return (await page.locator(STATUS_ITEM).innerText()).trim();
}

/**
 * Opens the Credentials container by its activity-bar item on a fresh workbench; when the
 * layout may already show it (after a reload), `viaCommand` uses the extension's Open command
 * instead, since clicking an open container's item would close it.
 */
export async function openCredentials(
  page: Page,
  { viaCommand = false, timeoutMs = 60_000 } = {},
): Promise<Frame> {
  const item = page.locator('.activitybar [aria-label*="Credentials"]').first();
  await item.waitFor({ timeout: timeoutMs });
  if (viaCommand) await runCommand(page, 'Credentials: Open Credentials');
  else await item.click();
  return credentialsFrame(page, timeoutMs);
}

/** The frame holding the Credentials webview's document (found by its `#app` root). */
export async function credentialsFrame(page: Page, timeoutMs = 30_000): Promise<Frame> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const frame of page.frames()) {
      if (frame.isDetached()) continue;
      // Visible only: a hidden, retained webview keeps its (stale) document too.
      const visible = await frame
        .locator('main#app')
        .isVisible()
        .catch(() => false);
      if (visible) return frame;
    }
    await page.waitForTimeout(250);
  }
  throw new Error('the Credentials webview did not appear');
}

/**
 * The hooks every e2e suite shares: notifications cleared before each test (toasts never time
 * out in an unfocused headless window, and only a few show at once), and a screenshot of the
 * workbench in test-artifacts/ when a test fails.
 */
export function workbenchHooks(page: () => Page | undefined, clear = true): void {
  if (clear) {
    beforeEach(async () => {
      const p = page();
      if (p) await clearNotifications(p);
    });
  }
  afterEach(async function () {
    const p = page();
    if (this.currentTest?.state === 'failed' && p) {
      const name = this.currentTest.title.replace(/\W+/g, '-').slice(0, 60);
      await p
        .screenshot({ path: path.join(ARTIFACTS_DIR, `failed-${name}.png`) })
        .catch(() => undefined);
    }
  });
}
