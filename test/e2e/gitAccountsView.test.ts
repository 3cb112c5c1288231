// Issues 13 and 14 in the view, in real code-server: two GitHub tokens (work and personal) listed
// with their path prefixes, and the AI usage panel; screenshots in test-artifacts/.
//
// A loopback front passes every request to the real service unchanged except two answers: it
// fills in `ai.usage` with a month of figures (recording them would take hundreds of gateway
// calls) and marks the first two tokens' prefixes and the OAuth account whose renewal was
// refused (a refused refresh needs a provider round trip). A token saved from the view goes
// through the real service, prefix included. Left to do: record the usage through the gateway
// and the refused refresh through the OAuth fakes, and drop the front.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Browser, Frame, Page } from 'playwright-core';
import { createServiceClient } from '../../extension/client';
import {
  answerDialog,
  answerInput,
  launchBrowser,
  notification,
  openCredentials,
  openWorkbench,
  runCommand,
  STATUS_ITEM,
  statusBarText,
  workbenchHooks,
} from '../support/browser';
import { packageExtension, startCodeServer } from '../support/codeServer';
import type { CodeServer } from '../support/codeServer';
import { startTestService } from '../support/service';
import type { TestService } from '../support/service';
import { ARTIFACTS_DIR, tierSuite } from '../support/tiers';

const USER = 'frank';
const PASSWORD = 'e2e-password-for-frank';
const PREFIXES: Record<string, string> = { work: 'acme', personal: 'frank' };
const today = new Date();
const dayStart = new Date(
  Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate()),
);
const monthStart = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), 1));
const USAGE = {
  todaySince: dayStart.toISOString(),
  monthSince: monthStart.toISOString(),
  today: [
    {
      provider: 'anthropic',
      model: 'claude-sonnet-4-5',
      requests: 12,
      failed: 1,
      inputTokens: 48_000,
      outputTokens: 3_200,
    },
  ],
  month: [
    {
      provider: 'anthropic',
      model: 'claude-sonnet-4-5',
      requests: 340,
      failed: 2,
      inputTokens: 1_250_000,
      outputTokens: 96_000,
    },
    {
      provider: 'openai',
      model: 'gpt-5',
      requests: 41,
      failed: 0,
      inputTokens: 80_000,
      outputTokens: 9_000,
    },
  ],
};

/** The loopback front described above; returns its URL. */
async function startFront(target: string): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    if (req.method === 'GET' && url.startsWith('/trpc/ai.usage')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ result: { data: USAGE } }));
      return;
    }
    const upstream = http.request(
      `${target}${url}`,
      { method: req.method, headers: req.headers },
      (answer) => {
        if (!(req.method === 'GET' && url.startsWith('/trpc/tokens.list'))) {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          return;
        }
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => chunks.push(c));
        answer.on('end', () => {
          const body = JSON.parse(Buffer.concat(chunks).toString()) as {
            result?: { data?: { name: string; type: string }[] };
          };
          for (const t of body.result?.data ?? []) {
            Object.assign(t, {
              pathPrefix:
                (t as { pathPrefix?: string | null }).pathPrefix ??
                (t.type === 'git_token' ? (PREFIXES[t.name] ?? null) : null),
              source: t.name === 'personal' ? 'oauth' : 'pasted',
            });
            // The personal account came from OAuth and its renewal was refused: the service marks
            // that by failing the token's last test (the git-accounts branch's refresh.ts).
            if (t.name === 'personal') {
              Object.assign(t, {
                lastTest: {
                  status: 'invalid',
                  detail: 'The GitHub sign-in could not be renewed; reconnect GitHub.',
                  checkedAt: new Date().toISOString(),
                },
              });
            }
          }
          const text = JSON.stringify(body);
          const headers = { ...answer.headers, 'content-length': String(Buffer.byteLength(text)) };
          res.writeHead(answer.statusCode ?? 502, headers);
          res.end(text);
        });
      },
    );
    req.pipe(upstream);
    upstream.on('error', () => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

tierSuite('e2e', 'Credentials view: several git accounts and AI usage in code-server', function () {
  let service: TestService;
  let front: { url: string; close: () => Promise<void> };
  let server: CodeServer;
  let browser: Browser;
  let page: Page;
  let view: Frame;

  before(async function () {
    this.timeout(300_000);
    mkdirSync(ARTIFACTS_DIR, { recursive: true });
    const [vsix, svc] = await Promise.all([
      packageExtension(),
      startTestService({ dialect: 'sqlite' }),
    ]);
    service = svc;
    await service.createUser(USER, PASSWORD);
    const login = await createServiceClient(service.url).auth.login.mutate({
      username: USER,
      password: PASSWORD,
    });
    const client = createServiceClient(service.url, login.token);
    for (const [name, token] of [
      ['work', 'ghp_e2e_work_token_0001'],
      ['personal', 'ghp_e2e_personal_tok_0002'],
    ] as const) {
      await client.tokens.create.mutate({
        type: 'git_token',
        provider: 'github',
        name,
        token,
        username: name === 'work' ? 'frank-acme' : 'frank',
      });
    }
    front = await startFront(service.url);
    server = await startCodeServer({
      vsix,
      settings: {
        'xaresCredentials.serviceUrl': front.url,
        'workbench.colorTheme': 'Default Dark Modern',
      },
    });
    browser = await launchBrowser();
    page = await openWorkbench(browser, server.url, server.folder);
    view = await openCredentials(page);
  });

  workbenchHooks(() => page, false);

  after(async function () {
    this.timeout(60_000);
    await browser?.close().catch(() => undefined);
    await server?.close().catch(() => undefined);
    await front?.close().catch(() => undefined);
    await service?.close().catch(() => undefined);
  });

  it('lists both GitHub tokens with their prefixes, and the AI usage panel', async () => {
    await view.locator('#signed-out').waitFor();
    await runCommand(page, 'Credentials: Sign In');
    await answerDialog(page, 'Sign In');
    await answerInput(page, 'Username', USER);
    await answerInput(page, 'Password', PASSWORD);
    await notification(page, `as ${USER}`);
    await view.locator('#git-tokens').waitFor();

    const rows = view.locator('#git-tokens li.git-token[data-provider="github"]');
    assert.equal(await rows.count(), 2);
    const texts = (await rows.allInnerTexts()).map((t) => t.replace(/\s+/g, ' '));
    const work = texts.find((t) => t.includes('GitHub · work')) ?? '';
    const personal = texts.find((t) => t.includes('GitHub · personal')) ?? '';
    assert.match(work, /frank-acme · github\.com · acme\/\* · pasted · …0001/);
    assert.match(personal, /frank · github\.com · frank\/\* · OAuth · …0002/);
    assert.match(personal, /reconnect: the GitHub sign-in could not be renewed/);
    assert.doesNotMatch(work, /reconnect/);
    assert.ok(
      await view
        .locator('li.needs-reconnect vscode-button', { hasText: 'Reconnect GitHub' })
        .isVisible(),
    );
    await page.waitForFunction(
      `document.querySelector('${STATUS_ITEM}')?.textContent?.includes('reconnect GitHub')`,
    );
    assert.match(work, /not tested yet · no expiry/);
    for (const id of ['connect-github', 'connect-gitlab']) {
      assert.ok(await view.locator(`#${id}`).isVisible(), id);
    }
    // The token itself never reaches the page.
    assert.ok(!(await view.content()).includes('ghp_e2e'));

    const todayTable = view.locator('#ai-usage-today');
    await todayTable.waitFor();
    assert.match(
      await todayTable.innerText(),
      /Anthropic\s+claude-sonnet-4-5\s+12 \(1 failed\)\s+48,000 in \/ 3,200 out/,
    );
    const month = await view.locator('#ai-usage-month').innerText();
    assert.match(month, /OpenAI\s+gpt-5\s+41\s+80,000 in \/ 9,000 out/);
    assert.match(month, /Total\s+381 \(2 failed\)/);

    // A third account with a path prefix, saved from the view through the real service (which
    // stores the prefix), is listed with it.
    await view.locator('#github-name input').fill('tools');
    await view.locator('#github-prefix input').fill('acme/tools');
    await view.locator('#github-token input').fill('ghp_e2e_tools_token_0003');
    await view.locator('#github-save').click();
    await view
      .locator('#git-tokens li.git-token[data-provider="github"]', { hasText: 'acme/tools/*' })
      .waitFor();
    assert.equal(await rows.count(), 3);

    // The security settings explain autoInject (off by default) in words.
    assert.match(await view.locator('#setting-autoInject-explain').innerText(), /Off by default/);
    assert.match(await statusBarText(page), /reconnect GitHub/);

    const sidebar = page.locator('.part.sidebar');
    await view.locator('#heading-git').scrollIntoViewIfNeeded();
    await sidebar.screenshot({ path: path.join(ARTIFACTS_DIR, 'git-accounts-view-dark.png') });
    await view.locator('#ai-usage').scrollIntoViewIfNeeded();
    await sidebar.screenshot({ path: path.join(ARTIFACTS_DIR, 'ai-usage-view-dark.png') });
    await view.locator('#heading-security').scrollIntoViewIfNeeded();
    await sidebar.screenshot({ path: path.join(ARTIFACTS_DIR, 'security-settings-view-dark.png') });
  });
});
