// Proves the e2e harness: the packaged .vsix installs into a real code-server, and its
// Credentials view opens in Chromium in the signed-out state, against an unreachable service.
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, openCredentials, openWorkbench, statusBarText } from '../support/browser';
import { freePort, packageExtension, startCodeServer } from '../support/codeServer';
import type { CodeServer } from '../support/codeServer';
import { tierSuite } from '../support/tiers';

tierSuite('e2e', 'extension harness (packaged .vsix in code-server)', function () {
  let server: CodeServer | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let deadUrl: string;

  before(async function () {
    this.timeout(300_000);
    const vsix = await packageExtension();
    // A port nothing listens on: the view must say it cannot reach the service.
    deadUrl = `http://127.0.0.1:${await freePort()}`;
    server = await startCodeServer({ vsix, settings: { 'xaresCredentials.serviceUrl': deadUrl } });
    browser = await launchBrowser();
    page = await openWorkbench(browser, server.url, server.folder);
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('shows the Credentials view signed out, and the status bar says so', async () => {
    const frame = await openCredentials(page);
    await frame.locator('#signed-out').waitFor();
    const text = await frame.locator('#signed-out').innerText();
    assert.match(text, /not signed in/i);
    assert.ok(text.includes(deadUrl), `the view names the service URL: ${text}`);
    await frame.locator('#sign-in').waitFor();
    assert.match(await statusBarText(page), /signed out/);
  });
});
