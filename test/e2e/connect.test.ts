// Issue 14's "Connect GitHub" end to end in real code-server: the palette command starts the
// OAuth device sign-in at the service, which asks a loopback server answering as GitHub's OAuth
// endpoints do; the extension shows the user code; the test approves that code at the fake (as
// the user would on github.com); the token lands in the store as an OAuth git token with its
// account, and the view lists it. No token is ever typed or pasted.
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
  workbenchHooks,
} from '../support/browser';
import { packageExtension, startCodeServer } from '../support/codeServer';
import type { CodeServer } from '../support/codeServer';
import { type FakeProviders, startFakeProviders } from '../support/fakeProviders';
import { startTestService } from '../support/service';
import type { TestService } from '../support/service';
import { tierSuite } from '../support/tiers';

const USER = 'olga';
const PASSWORD = 'e2e-password-for-olga';
const CLIENT_ID = 'Iv1.e2econnectapp';
const ACCOUNT = 'olga-octo';

tierSuite('e2e', 'Connect GitHub (OAuth device sign-in) in code-server', function () {
  let fake: FakeProviders;
  let service: TestService;
  let server: CodeServer;
  let browser: Browser;
  let page: Page;

  before(async function () {
    this.timeout(300_000);
    fake = await startFakeProviders();
    fake.github.oauth.clientIds.add(CLIENT_ID);
    const [vsix, svc] = await Promise.all([
      packageExtension(),
      startTestService({
        dialect: 'sqlite',
        env: { ...fake.env, GITHUB_OAUTH_CLIENT_ID: CLIENT_ID, GITHUB_URL: fake.github.origin },
      }),
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
    await fake?.close().catch(() => undefined);
  });

  it('the code shown is approved at the provider and the token lands, tested, as OAuth', async function () {
    this.timeout(180_000);
    await runCommand(page, 'Credentials: Sign In');
    await answerDialog(page, 'Sign In');
    await answerInput(page, 'Username', USER);
    await answerInput(page, 'Password', PASSWORD);
    await notification(page, `as ${USER}`);

    await runCommand(page, 'Credentials: Connect GitHub or GitLab');
    await pickRow(page, 'GitHub');
    // code-server asks before it opens the verification page in a new tab; either answer lets
    // the sign-in go on (the code is on the clipboard and in the notification).
    const external = page.locator('.monaco-dialog-box');
    const progress = page
      .locator('.notifications-toasts .notification-toast')
      .filter({ hasText: /enter the code/ });
    await Promise.race([external.waitFor({ timeout: 30_000 }), progress.first().waitFor()]);
    if (await external.isVisible()) {
      await external.getByRole('button', { name: 'Cancel' }).click();
    }
    await progress.first().waitFor();
    const text = await progress.first().innerText();
    const userCode = /enter the code (\S+) at/.exec(text)?.[1];
    assert.ok(userCode, `a user code in: ${text}`);
    assert.match(text, new RegExp(`${fake.github.origin.replace(/[.:/]/g, '\\$&')}/login/device`));

    // The user approves the code at GitHub.
    fake.github.oauth.approve(userCode, ACCOUNT);
    const done = await notification(page, /Connected GitHub/);
    assert.match(done, new RegExp(`Connected GitHub as ${ACCOUNT}`));

    const rows = await service.service.store.db
      .selectFrom('credentials')
      .select(['provider', 'type', 'username', 'source', 'name', 'last_test_status'])
      .where('type', '=', 'git_token')
      .execute();
    assert.deepEqual(rows, [
      {
        provider: 'github',
        type: 'git_token',
        username: ACCOUNT,
        source: 'oauth',
        name: 'default',
        last_test_status: 'valid',
      },
    ]);

    // The view lists the account as an OAuth token.
    const view = await openCredentials(page, { viaCommand: true });
    const row = view.locator('#git-tokens li.git-token[data-provider="github"]');
    await row.first().waitFor({ timeout: 20_000 });
    assert.match(
      (await row.first().innerText()).replace(/\s+/g, ' '),
      /olga-octo · github.* · OAuth/,
    );
  });
});
