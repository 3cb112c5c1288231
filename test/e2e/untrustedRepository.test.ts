// Issue 11, "cloned repository → workspace token": a repository's `.vscode/settings.json` points
// the extension's settings at an address of the attacker's. Inside an injected workspace (a
// workspace token and the service's address in the home), the extension must send nothing
// there, ever: not the workspace token at start, not the user's password at sign-in.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { createSession } from '../../service/accounts/sessions';
import {
  answerInput,
  launchBrowser,
  notification,
  openCredentials,
  openWorkbench,
  runCommand,
} from '../support/browser';
import { packageExtension, startCodeServer } from '../support/codeServer';
import type { CodeServer } from '../support/codeServer';
import { tierSuite } from '../support/tiers';
import { startTestService } from '../support/service';
import type { TestService } from '../support/service';

const USER = 'alice';
const PASSWORD = 'e2e-password-for-alice';
const WORKSPACE = 'xares-e2e-untrusted-ws';

/** A loopback listener that records every connection and every byte sent to it. */
async function startListener() {
  const received: string[] = [];
  let connections = 0;
  const server = net.createServer((socket) => {
    connections++;
    socket.on('data', (b) => received.push(b.toString('latin1')));
    socket.on('error', () => undefined);
    // Hold the socket open a moment so a client gets to send its request, then hang up.
    setTimeout(() => socket.destroy(), 1_000);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    summary: () => `${connections} connection(s); received: ${received.join('').slice(0, 400)}`,
    connections: () => connections,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

tierSuite('e2e', 'a cloned repository cannot redirect the extension (issue 11)', function () {
  let service: TestService;
  let listener: Awaited<ReturnType<typeof startListener>>;
  let server: CodeServer;
  let browser: Browser;
  let page: Page;
  let workspaceToken: string;

  before(async function () {
    this.timeout(300_000);
    listener = await startListener();
    const [vsix, svc] = await Promise.all([
      packageExtension(),
      startTestService({ dialect: 'sqlite' }),
    ]);
    service = svc;
    const user = await service.createUser(USER, PASSWORD);
    // What an injection leaves in the workspace: a workspace token and the service's address.
    workspaceToken = (
      await createSession(service.service.store.db, {
        userId: user.id,
        kind: 'workspace',
        workspaceId: WORKSPACE,
        timeoutSeconds: 7200,
      })
    ).token;
    server = await startCodeServer({
      vsix,
      env: { XARES_WORKSPACE_ID: WORKSPACE },
      homeFiles: {
        '.config/xares/workspace-token': `${workspaceToken}\n`,
        '.config/xares/service-url': `${service.url}\n`,
        '.env': "export XARES_E2E_PROBE='from-the-injected-env'\n",
      },
      // The cloned repository's settings: every setting of the extension pointed elsewhere.
      folderFiles: {
        '.vscode/settings.json': JSON.stringify({
          'xaresCredentials.serviceUrl': listener.url,
          'xaresCredentials.workspaceId': 'attacker-chosen-workspace',
          'xaresCredentials.terminalEnvironment': true,
        }),
      },
    });
    browser = await launchBrowser();
    page = await openWorkbench(browser, server.url, server.folder);
  });

  after(async function () {
    this.timeout(60_000);
    await browser?.close().catch(() => undefined);
    await server?.close().catch(() => undefined);
    await service?.close().catch(() => undefined);
    await listener?.close().catch(() => undefined);
  });

  it('at start: the workspace token goes only to the injected address, nothing to the repository’s', async () => {
    const view = await openCredentials(page);
    // Whatever the view ends up showing, first: the listener got nothing.
    await view.locator('#signed-in-as, #signed-out').first().waitFor({ timeout: 30_000 });
    await page.waitForTimeout(2_000);
    assert.equal(listener.connections(), 0, listener.summary());
    await view.locator('#signed-in-as').waitFor({ timeout: 30_000 });
    const header = await view.locator('#signed-in-as').innerText();
    assert.match(header, new RegExp(`Signed in as ${USER} \\(workspace token`));
    assert.ok(header.includes(service.url), `the view names the injected service: ${header}`);
    assert.ok(!header.includes(listener.url), header);
    // The workspace to inject into is this machine's, not the repository's choice.
    const inject = await view.locator('#inject').innerText();
    assert.ok(inject.includes(WORKSPACE), inject);
  });

  it('a palette sign-in sends the password to the injected service, never to the repository’s', async () => {
    await runCommand(page, 'Credentials: Sign In');
    await answerInput(page, 'Username', USER);
    await answerInput(page, 'Password', PASSWORD);
    const text = await notification(page, `as ${USER}`);
    assert.ok(text.includes(service.url), text);
    await runCommand(page, 'Credentials: Sign Out');
    await notification(page, 'Signed out');
    await runCommand(page, 'Credentials: Sign In');
    await answerInput(page, 'Username', USER);
    await answerInput(page, 'Password', 'a wrong password');
    await notification(page, 'wrong username or password');
    await page.waitForTimeout(2_000);
    assert.equal(listener.connections(), 0, listener.summary());
  });

  it('the repository cannot turn on the terminal environment: a new terminal gets no AI key', async () => {
    await runCommand(page, 'Terminal: Create New Terminal');
    await page.locator('.terminal-wrapper .xterm').first().waitFor({ timeout: 30_000 });
    await page.waitForTimeout(1_500); // the shell's prompt
    await page.locator('.terminal-wrapper .xterm').first().click();
    await page.keyboard.type('echo "[${XARES_E2E_PROBE:-unset}]" > probe.txt\n', { delay: 10 });
    const probe = path.join(server.folder, 'probe.txt');
    for (let i = 0; i < 60 && !existsSync(probe); i++) await page.waitForTimeout(250);
    assert.equal(readFileSync(probe, 'utf8').trim(), '[unset]');
  });

  it('nothing reached the listener over the whole session, the password included', async () => {
    await page.reload();
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    await openCredentials(page, { viaCommand: true });
    await page.waitForTimeout(3_000);
    assert.equal(listener.connections(), 0, listener.summary());
    assert.ok(!listener.summary().includes(workspaceToken));
  });
});
