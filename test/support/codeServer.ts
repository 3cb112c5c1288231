// Real code-server for the e2e tier: packages the extension once (`npm run package`), installs
// the .vsix into a fresh user-data/extensions dir, and serves a folder on a loopback port.
import { spawn, execFile } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = path.join(__dirname, '..', '..');
export const VSIX_PATH = path.join(ROOT, 'dist', 'xaresaicoder-credentials.vsix');
const CODE_SERVER = process.env.XARES_CODE_SERVER || 'code-server';

let packaged: Promise<string> | undefined;

/**
 * Builds the .vsix with the project's own script, once per test process. XARES_E2E_VSIX names a
 * ready-made one instead (to run a new test against an older build and watch it fail).
 */
export function packageExtension(): Promise<string> {
  const given = process.env.XARES_E2E_VSIX;
  if (given) return Promise.resolve(given);
  packaged ??= run('npm', ['run', 'package'], {
    cwd: ROOT,
    timeout: 180_000,
    maxBuffer: 16 * 1024 * 1024,
  }).then(() => VSIX_PATH);
  return packaged;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

export interface CodeServer {
  url: string;
  /** The folder opened in the workbench. */
  folder: string;
  /** HOME of the code-server process (and so of the extension host). */
  home: string;
  userDataDir: string;
  /** What code-server printed, for diagnosing failures. */
  output(): string;
  close(): Promise<void>;
}

export interface CodeServerOptions {
  vsix: string;
  /**
   * Merged into User/settings.json after the defaults for an unattended workbench; the
   * extension's machine-scoped settings also go to Machine/settings.json, where code-server (a
   * remote window) reads machine-scoped settings from.
   */
  settings?: Record<string, unknown>;
  /** Files to place in the opened folder (path relative to it → content), e.g. `.vscode/settings.json`. */
  folderFiles?: Record<string, string>;
  env?: Record<string, string>;
  /** Files to place in the process's HOME first (path relative to HOME → content). */
  homeFiles?: Record<string, string>;
}

export async function startCodeServer(opts: CodeServerOptions): Promise<CodeServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'xares-code-server-'));
  const userDataDir = path.join(dir, 'user-data');
  const extensionsDir = path.join(dir, 'extensions');
  const home = path.join(dir, 'home');
  const folder = path.join(dir, 'project');
  for (const d of [path.join(userDataDir, 'User'), extensionsDir, home, folder]) {
    mkdirSync(d, { recursive: true });
  }
  for (const [root, files] of [
    [home, opts.homeFiles],
    [folder, opts.folderFiles],
  ] as const) {
    for (const [rel, content] of Object.entries(files ?? {})) {
      mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
      writeFileSync(path.join(root, rel), content, { mode: 0o600 });
    }
  }
  const settings = {
    'security.workspace.trust.enabled': false,
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'telemetry.telemetryLevel': 'off',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    ...opts.settings,
  };
  writeFileSync(path.join(userDataDir, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
  const machine = Object.fromEntries(
    Object.entries(settings).filter(([key]) => key.startsWith('xaresCredentials.')),
  );
  mkdirSync(path.join(userDataDir, 'Machine'), { recursive: true });
  writeFileSync(
    path.join(userDataDir, 'Machine', 'settings.json'),
    JSON.stringify(machine, null, 2),
  );
  const env = {
    ...process.env,
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    // The extension gallery (Open VSX) is the only off-machine address the workbench calls
    // (theme and extension searches): point it at a closed loopback port instead.
    EXTENSIONS_GALLERY: JSON.stringify({
      serviceUrl: 'http://127.0.0.1:9/gallery',
      itemUrl: 'http://127.0.0.1:9/item',
      resourceUrlTemplate: 'http://127.0.0.1:9/{publisher}/{name}/{version}/{path}',
    }),
    ...opts.env,
  };
  await run(
    CODE_SERVER,
    [
      '--extensions-dir',
      extensionsDir,
      '--user-data-dir',
      userDataDir,
      '--install-extension',
      opts.vsix,
    ],
    { env, timeout: 120_000 },
  );

  const port = await freePort();
  const child: ChildProcess = spawn(
    CODE_SERVER,
    [
      '--auth',
      'none',
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--extensions-dir',
      extensionsDir,
      '--user-data-dir',
      userDataDir,
      folder,
    ],
    { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const keep = (b: Buffer) => {
    output = (output + b.toString()).slice(-64 * 1024);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);

  const url = `http://127.0.0.1:${port}`;
  const close = async () => {
    if (child.exitCode === null && child.pid) {
      try {
        process.kill(-child.pid, 'SIGTERM'); // its own process group: code-server and its children
      } catch {
        /* already gone */
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          try {
            if (child.pid) process.kill(-child.pid, 'SIGKILL');
          } catch {
            /* gone */
          }
          resolve();
        }, 5_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) {
      await close();
      throw new Error(`code-server exited with ${child.exitCode}:\n${output}`);
    }
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      await close();
      throw new Error(`code-server did not start within 60 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { url, folder, home, userDataDir, output: () => output, close };
}
