// Child processes for the deploy tests, which run what an operator runs (npm, the installed
// command, the image's CMD): a bounded shell command line, an HTTP status probe, an exit wait.
import { type ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';

/**
 * Runs a shell command line in its own process group and kills the whole group (npm and the
 * compilers it started) if it outlives `ms`. npm prefers its cache and does not look for updates.
 */
export function runBounded(
  commandLine: string,
  cwd: string,
  ms: number,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', commandLine], {
      cwd,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...env,
        npm_config_prefer_offline: 'true',
        npm_config_update_notifier: 'false',
      },
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-20_000)));
    child.stderr.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-20_000)));
    const timer = setTimeout(() => {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
      output += `\n(killed after ${ms / 60_000} min)`;
    }, ms);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

export function getStatus(port: number, urlPath: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, timeout: 3000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** Polls until the path answers 200 or the process exits or `ms` pass; the last status. */
export async function waitForStatus200(
  child: ChildProcess,
  port: number,
  urlPath: string,
  ms: number,
): Promise<number> {
  const deadline = Date.now() + ms;
  let status = 0;
  while (Date.now() < deadline && child.exitCode === null) {
    status = await getStatus(port, urlPath).catch(() => 0);
    if (status === 200) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  return status;
}

export function waitForExit(child: ChildProcess, ms: number): Promise<number | string | null> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    const timer = setTimeout(() => reject(new Error(`no exit within ${ms} ms`)), ms);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(code ?? signal);
    });
  });
}

/** The test's environment without any CREDENTIAL_* variable leaking into a service it starts. */
export function withoutServiceConfig(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('CREDENTIAL_')),
  );
}
