// A second, real Docker engine beside the first for the many-hosts tests (docker tier): its own
// dockerd (and containerd), data root and socket, without networking of its own (workspaces
// there run with network none). It also listens on loopback TCP with TLS (--tlsverify), with a
// CA, server and client certificates made by openssl, so the tls= syntax is tested for real. Started once per test run and shared by the suites that ask
// for it; its data root is kept between runs so the test image is loaded only once. Needs root
// and dockerd on PATH; when it cannot start, the suite fails with dockerd's own words.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, closeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { TEST_IMAGE, testDocker, waitFor } from './docker';

/** Short, fixed: unix socket paths are limited to about 100 bytes, and the image stays loaded. */
const DIR = process.env.XARES_SECOND_ENGINE_DIR ?? path.join(os.tmpdir(), 'xares-docker2');
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;

export interface SecondEngine {
  /** unix:///…/docker.sock, as CREDENTIAL_DOCKER_HOSTS takes it. */
  address: string;
  /** tcp://127.0.0.1:PORT?tls=DIR: the same engine over TLS with a client certificate. */
  tlsAddress: string;
  /** The address as the service names it (without the options). */
  tlsName: string;
  /** A DOCKER_CERT_PATH-style directory with a client certificate of another CA. */
  strangerCertDir: string;
  docker: Docker;
  /** Stops dockerd (its containers stop with it); start() brings it back on the same data. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

const socketPath = path.join(DIR, 'docker.sock');
const pidFile = path.join(DIR, 'docker.pid');
const logFile = path.join(DIR, 'dockerd.log');
const tlsDir = path.join(DIR, 'tls');
const strangerDir = path.join(DIR, 'tls-stranger');
const TLS_PORT = Number(process.env.XARES_SECOND_ENGINE_TLS_PORT ?? 23761);
let shared: Promise<SecondEngine> | null = null;

/** A CA, a server certificate for 127.0.0.1 and a client certificate, in Docker's file names. */
function makeCertificates(dir: string): void {
  if (existsSync(path.join(dir, 'key.pem'))) return;
  mkdirSync(dir, { recursive: true });
  const script = [
    'set -e',
    'openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=xares-test-ca -keyout ca-key.pem -out ca.pem 2>/dev/null',
    'openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout server-key.pem -out server.csr 2>/dev/null',
    'printf "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n" > server.ext',
    'openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 3650 -extfile server.ext -out server-cert.pem 2>/dev/null',
    'openssl req -newkey rsa:2048 -nodes -subj /CN=client -keyout key.pem -out client.csr 2>/dev/null',
    'printf "extendedKeyUsage=clientAuth\n" > client.ext',
    'openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 3650 -extfile client.ext -out cert.pem 2>/dev/null',
  ].join('\n');
  const r = spawnSync('sh', ['-c', script], { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl could not make test certificates: ${r.stderr}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function runningPid(): number | null {
  if (!existsSync(pidFile)) return null;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : null;
}

async function answers(docker: Docker): Promise<boolean> {
  try {
    await docker.ping();
    return true;
  } catch {
    return false;
  }
}

function logTail(): string {
  try {
    return readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '(no log)';
  }
}

async function startDockerd(docker: Docker): Promise<void> {
  if (runningPid() !== null && (await answers(docker))) return;
  mkdirSync(DIR, { recursive: true });
  makeCertificates(tlsDir);
  makeCertificates(strangerDir);
  rmSync(socketPath, { force: true });
  const log = openSync(logFile, 'a');
  const child = spawn(
    'dockerd',
    [
      '--data-root',
      path.join(DIR, 'data'),
      '--exec-root',
      path.join(DIR, 'exec'),
      '-H',
      `unix://${socketPath}`,
      '-H',
      `tcp://127.0.0.1:${TLS_PORT}`,
      '--tlsverify',
      '--tlscacert',
      path.join(tlsDir, 'ca.pem'),
      '--tlscert',
      path.join(tlsDir, 'server-cert.pem'),
      '--tlskey',
      path.join(tlsDir, 'server-key.pem'),
      '--pidfile',
      pidFile,
      '--bridge=none',
      '--iptables=false',
      '--ip6tables=false',
    ],
    { detached: true, stdio: ['ignore', log, log] },
  );
  closeSync(log);
  let failed: Error | null = null;
  child.on('error', (e) => (failed = e));
  child.unref();
  try {
    await waitFor(
      async () => {
        if (failed) throw failed;
        if (child.exitCode !== null) throw new Error(`dockerd exited with ${child.exitCode}`);
        return answers(docker);
      },
      START_TIMEOUT_MS,
      'the second Docker engine',
    );
  } catch (e) {
    if (child.pid && alive(child.pid)) process.kill(child.pid, 'SIGKILL');
    throw new Error(
      `the second Docker engine (dockerd, as root, at ${socketPath}) did not start: ${(e as Error).message}\n${logTail()}`,
    );
  }
}

async function stopDockerd(): Promise<void> {
  const pid = runningPid();
  if (pid === null) return;
  process.kill(pid, 'SIGTERM');
  try {
    await waitFor(async () => !alive(pid), STOP_TIMEOUT_MS, 'the second Docker engine to stop');
  } catch {
    process.kill(pid, 'SIGKILL');
  }
}

/** The test image on the second engine, copied from the first when it is not there yet. */
async function loadImage(docker: Docker): Promise<void> {
  const has = await docker
    .getImage(TEST_IMAGE)
    .inspect()
    .then(
      () => true,
      () => false,
    );
  if (has) return;
  const first = process.env.DOCKER_HOST ? ['-H', process.env.DOCKER_HOST] : [];
  const r = spawnSync(
    'sh',
    ['-c', 'docker "$@" save "$IMAGE" | docker -H "unix://$SOCKET" load', 'sh', ...first],
    { env: { ...process.env, IMAGE: TEST_IMAGE, SOCKET: socketPath }, encoding: 'utf8' },
  );
  if (r.status !== 0) {
    throw new Error(`copying ${TEST_IMAGE} to the second engine failed: ${r.stderr || r.stdout}`);
  }
}

/**
 * The second engine, started on first use and shared by every suite of the run; stopped once
 * at the end of the run (a root `after` hook), or when the process exits.
 */
export function acquireSecondEngine(): Promise<SecondEngine> {
  shared ??= (async () => {
    const docker = new Docker({ socketPath });
    await startDockerd(docker);
    process.once('exit', () => {
      const pid = runningPid();
      if (pid !== null) process.kill(pid, 'SIGTERM');
    });
    await loadImage(docker);
    return {
      address: `unix://${socketPath}`,
      tlsAddress: `tcp://127.0.0.1:${TLS_PORT}?tls=${tlsDir}`,
      tlsName: `tcp://127.0.0.1:${TLS_PORT}`,
      strangerCertDir: strangerDir,
      docker,
      stop: stopDockerd,
      start: () => startDockerd(docker),
    };
  })();
  return shared;
}

/** Removes what a suite left on the second engine (test containers); the engine keeps running. */
export async function releaseSecondEngine(): Promise<void> {
  const engine = await shared?.catch(() => null);
  if (!engine) return;
  const left = await engine.docker
    .listContainers({ all: true, filters: { label: ['xares.test'] } })
    .catch(() => []);
  await Promise.all(
    left.map((c) =>
      engine.docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined),
    ),
  );
}

async function stopSharedEngine(): Promise<void> {
  if (!shared) return;
  await shared.catch(() => null);
  shared = null;
  await stopDockerd();
}

// Loaded by mocha while it reads the test files: this registers on the root suite, so it runs
// once after every suite of the run.
if (typeof after === 'function') after(stopSharedEngine);

/** The first engine, for symmetry in tests that use both. */
export const firstEngine = testDocker;
