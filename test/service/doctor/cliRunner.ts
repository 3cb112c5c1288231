// Runs `xares-credentials doctor` as a child process (through tsx, from the sources) with a given
// environment, bounded in time, and hands back its exit code, output and parsed report lines.
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';

export const ROOT = path.join(__dirname, '..', '..', '..');

export interface DoctorRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Report lines by check name: `{status, text}` where text is the whole line. */
  lines: Map<string, { status: string; text: string }>;
}

export function runDoctorCli(env: NodeJS.ProcessEnv, args: string[] = []): Promise<DoctorRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'service/cli.ts', 'doctor', ...args],
      {
        cwd: ROOT,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`doctor did not finish within 30 s\n${stdout}\n${stderr}`));
    }, 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const lines = new Map<string, { status: string; text: string }>();
      for (const text of stdout.split('\n')) {
        const m = /^(ok|warn|FAIL) +([^:]+):/.exec(text);
        if (m?.[1] && m[2]) lines.set(m[2], { status: m[1], text });
      }
      resolve({ code, stdout, stderr, lines });
    });
  });
}

/** A loopback port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

/**
 * The environment of a doctor run: the test's process environment without any CREDENTIAL_*,
 * DOCKER_* or provider variable leaking in, then the given ones.
 */
export function doctorEnv(vars: Record<string, string>): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) =>
        !/^(CREDENTIAL_|DOCKER_)/.test(k) &&
        ![
          'GITHUB_API_URL',
          'GITLAB_URL',
          'OPENAI_BASE_URL',
          'ANTHROPIC_BASE_URL',
          'GOOGLE_AI_BASE_URL',
        ].includes(k),
    ),
  );
  return { ...clean, ...vars };
}
