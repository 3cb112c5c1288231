// Real containers for docker-tier tests: the workspace test image, labelled with a random
// suffix, host or no network, removed after; plus exec with separated output, as a given user.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import Docker from 'dockerode';

export const TEST_IMAGE = process.env.XARES_TEST_IMAGE || 'xares-workspace-test:1';
export const TEST_LABEL = 'xares.test';

export function testDocker(): Docker {
  return new Docker();
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface TestWorkspace {
  id: string;
  name: string;
  container: Docker.Container;
  /** Runs argv (no shell) in the container, as `user` (default the workspace user). */
  exec(
    argv: string[],
    opts?: { user?: string; env?: string[]; timeoutMs?: number },
  ): Promise<ExecResult>;
  /** Runs a shell command line as the workspace user; throws unless it exits 0. */
  sh(script: string, opts?: { env?: string[] }): Promise<string>;
  remove(): Promise<void>;
}

export async function execIn(
  container: Docker.Container,
  argv: string[],
  opts: { user?: string; env?: string[]; timeoutMs?: number } = {},
): Promise<ExecResult> {
  const exec = await container.exec({
    Cmd: argv,
    User: opts.user ?? 'coder',
    Env: opts.env,
    AttachStdout: true,
    AttachStderr: true,
  });
  const stream = await exec.start({ hijack: true, stdin: false });
  const out = new PassThrough();
  const err = new PassThrough();
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  out.on('data', (c: Buffer) => stdout.push(c));
  err.on('data', (c: Buffer) => stderr.push(c));
  container.modem.demuxStream(stream, out, err);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      stream.destroy();
      reject(new Error(`exec timed out: ${argv.join(' ')}`));
    }, opts.timeoutMs ?? 60_000);
    stream.on('end', () => (clearTimeout(timer), resolve()));
    stream.on('close', () => (clearTimeout(timer), resolve()));
    stream.on('error', (e) => (clearTimeout(timer), reject(e)));
  });
  const info = await exec.inspect();
  return {
    code: info.ExitCode ?? -1,
    stdout: Buffer.concat(stdout).toString('utf8'),
    stderr: Buffer.concat(stderr).toString('utf8'),
  };
}

/** Creates (and by default starts) a labelled workspace container owned by `owner`. */
export async function createWorkspace(
  docker: Docker,
  opts: {
    owner?: string;
    user?: string;
    network?: 'host' | 'none';
    start?: boolean;
    labels?: Record<string, string>;
    /** Docker's container name (default: a random `xares-test-…`). */
    name?: string;
  },
): Promise<TestWorkspace> {
  const name = opts.name ?? `xares-test-${randomBytes(5).toString('hex')}`;
  const labels: Record<string, string> = { [TEST_LABEL]: '1', ...(opts.labels ?? {}) };
  if (opts.owner) labels['xaresaicoder.owner'] = opts.owner;
  if (opts.user) labels['xaresaicoder.user'] = opts.user;
  const container = await docker.createContainer({
    Image: TEST_IMAGE,
    name,
    Labels: labels,
    Cmd: ['sleep', 'infinity'],
    HostConfig: { NetworkMode: opts.network ?? 'none', Init: true },
  });
  if (opts.start !== false) await container.start();
  const ws: TestWorkspace = {
    id: container.id,
    name,
    container,
    exec: (argv, o) => execIn(container, argv, o),
    async sh(script, o) {
      const r = await execIn(container, ['sh', '-c', script], { env: o?.env });
      if (r.code !== 0) throw new Error(`exit ${r.code}: ${script}\n${r.stdout}\n${r.stderr}`);
      return r.stdout;
    },
    async remove() {
      await container.remove({ force: true }).catch((e: { statusCode?: number }) => {
        if (e.statusCode !== 404) throw e;
      });
    },
  };
  return ws;
}

/** Polls `check` every 25 ms until it returns true or `timeoutMs` passes; returns the elapsed ms. */
export async function waitFor(
  check: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await check()) return Date.now() - start;
    if (Date.now() - start > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface EngineProxy {
  /** A dockerode client that reaches the engine through the proxy. */
  docker: Docker;
  /** Cuts every open connection and refuses new ones for `ms`, as an engine restart does. */
  outage(ms: number): void;
  close(): Promise<void>;
}

/**
 * A unix-socket proxy in front of the real engine, so a test can make the engine "restart"
 * (connections cut and refused for a while) without touching the engine others use.
 */
export async function startEngineProxy(): Promise<EngineProxy> {
  const target = (process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock').replace(
    /^unix:\/\//,
    '',
  );
  const dir = mkdtempSync(path.join(os.tmpdir(), 'xares-engine-proxy-'));
  const socketPath = path.join(dir, 'docker.sock');
  const open = new Set<net.Socket>();
  let downUntil = 0;
  const server = net.createServer((client) => {
    if (Date.now() < downUntil) {
      client.destroy();
      return;
    }
    const upstream = net.connect(target);
    open.add(client);
    open.add(upstream);
    const forget = () => {
      open.delete(client);
      open.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', forget).on('error', forget);
    upstream.on('close', forget).on('error', forget);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    docker: new Docker({ socketPath }),
    outage(ms) {
      downUntil = Date.now() + ms;
      for (const s of open) s.destroy();
    },
    async close() {
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
