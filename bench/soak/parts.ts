// The moving parts of the soak, each a real process on loopback: service replicas (the real CLI,
// `serve`), a Docker engine of the soak's own (so restarting it disturbs nothing else on the
// machine), the Galera cluster (scripts/galera.sh) and the workspace containers.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';

const run = promisify(execFile);
export const ROOT = path.join(__dirname, '..', '..');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it answers true or `ms` passes; returns the milliseconds it took. */
export async function waitFor(what: string, probe: () => Promise<boolean>, ms = 60_000) {
  const start = Date.now();
  while (Date.now() - start < ms) {
    if (await probe().catch(() => false)) return Date.now() - start;
    await sleep(100);
  }
  throw new Error(`${what} not ready after ${ms} ms`);
}

// ---- service replicas ------------------------------------------------------------------------

export class Replica {
  private child: ChildProcess | undefined;
  readonly url: string;
  private log = '';

  constructor(
    readonly name: string,
    private readonly port: number,
    private readonly env: NodeJS.ProcessEnv,
    /** Every line the replica writes is appended here (its logs, to explain any 5xx). */
    readonly logFile?: string,
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  async start(): Promise<void> {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(ROOT, 'service', 'cli.ts'), 'serve'],
      {
        cwd: ROOT,
        env: { ...this.env, CREDENTIAL_HOST: '127.0.0.1', CREDENTIAL_PORT: String(this.port) },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const keep = (c: Buffer) => {
      this.log = (this.log + c.toString('utf8')).slice(-20_000);
      if (this.logFile) appendFileSync(this.logFile, c);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.child = child;
    await waitFor(`replica ${this.name}`, async () => (await fetch(`${this.url}/readyz`)).ok);
  }

  kill(): void {
    this.child?.kill('SIGKILL');
    this.child = undefined;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(10_000)]);
    child.kill('SIGKILL');
    this.child = undefined;
  }

  tail(): string {
    return this.log.split('\n').slice(-15).join('\n');
  }
}

// ---- a Docker engine of the soak's own --------------------------------------------------------

export class SoakEngine {
  readonly socket: string;
  private readonly pidFile: string;

  constructor(private readonly dir: string) {
    this.socket = path.join(dir, 'docker.sock');
    this.pidFile = path.join(dir, 'docker.pid');
  }

  get host(): string {
    return `unix://${this.socket}`;
  }

  docker(): Docker {
    return new Docker({ socketPath: this.socket });
  }

  async start(): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    if (await this.answers()) return;
    const child = spawn(
      'dockerd',
      [
        '--data-root',
        path.join(this.dir, 'data'),
        '--exec-root',
        path.join(this.dir, 'exec'),
        '-H',
        this.host,
        '--pidfile',
        this.pidFile,
        '--bridge=none',
        '--iptables=false',
        '--ip6tables=false',
      ],
      { detached: true, stdio: ['ignore', 'ignore', 'ignore'] },
    );
    child.unref();
    await waitFor('the soak Docker engine', () => this.answers(), 60_000);
  }

  async answers(): Promise<boolean> {
    if (!existsSync(this.socket)) return false;
    return this.docker()
      .ping()
      .then(() => true)
      .catch(() => false);
  }

  /** Copies an image of the machine's engine into this one (once). */
  async loadImage(image: string): Promise<void> {
    const inspect = await this.docker()
      .getImage(image)
      .inspect()
      .catch(() => null);
    if (inspect) return;
    await run('sh', ['-c', `docker save ${image} | docker -H ${this.host} load`], {
      maxBuffer: 1 << 20,
    });
  }

  /** Stops the engine (SIGTERM, as a restart by an operator) and starts it again. */
  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async stop(): Promise<void> {
    if (!existsSync(this.pidFile)) return;
    const pid = Number(readFileSync(this.pidFile, 'utf8'));
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      return;
    }
    for (let i = 0; i < 200; i++) {
      try {
        process.kill(pid, 0);
      } catch {
        return;
      }
      await sleep(100);
    }
    process.kill(pid, 'SIGKILL');
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A workspace container for `owner`, restarted by the engine after the engine restarts. */
export async function createWorkspace(
  docker: Docker,
  image: string,
  owner: string,
): Promise<string> {
  const container = await docker.createContainer({
    Image: image,
    name: `soak-${owner}-${Date.now().toString(36)}`,
    Cmd: ['sleep', 'infinity'],
    Labels: { 'xaresaicoder.owner': owner },
    // Init: SIGTERM stops it at once, as it stops a real workspace (code-server); `sleep` as
    // PID 1 would ignore it and hold an engine restart up for Docker's 10 s stop time-out.
    HostConfig: { NetworkMode: 'none', RestartPolicy: { Name: 'always' }, Init: true },
  });
  await container.start();
  return container.id;
}

// ---- Galera ----------------------------------------------------------------------------------

export class Galera {
  constructor(private readonly dir: string) {}

  private async script(...args: string[]): Promise<void> {
    await run('bash', [path.join(ROOT, 'scripts', 'galera.sh'), ...args], {
      maxBuffer: 1 << 20,
      timeout: 180_000,
    });
  }

  start = () => this.script('start', this.dir);
  stop = () => this.script('stop', this.dir);
  kill = (node: number) => this.script('kill', String(node), this.dir);
  restart = (node: number) => this.script('restart', String(node), this.dir);

  url(node: number, database: string): string {
    return `mysql://xares_soak:xares_soak@127.0.0.1:331${node}/${database}`;
  }
}
