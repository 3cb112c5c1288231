// The few Docker Engine calls injection needs, each with a deadline, and the mapping of an
// unreachable engine to SERVICE_UNAVAILABLE; injection talks to the workspace through one exec.
import type { Duplex } from 'node:stream';
import { Writable } from 'node:stream';
import Docker from 'dockerode';
import { AppError } from '../errors';

const CALL_TIMEOUT_MS = 15_000;
const MAX_READ_BYTES = 1024 * 1024;

/** A dockerode client for DOCKER_HOST (unix://, tcp://, http(s)://) or the local socket. */
export function createDockerClient(dockerHost: string | undefined): Docker {
  if (!dockerHost) return new Docker();
  const url = new URL(dockerHost);
  if (url.protocol === 'unix:') return new Docker({ socketPath: url.pathname });
  const protocol = url.protocol === 'https:' ? 'https' : 'http';
  const port = url.port || (protocol === 'https' ? '2376' : '2375');
  return new Docker({ protocol, host: url.hostname, port });
}

interface HttpishError {
  statusCode?: number;
  code?: string;
}

export function statusOf(e: unknown): number | undefined {
  return (e as HttpishError | null)?.statusCode;
}

/** Connection-level failures: the engine is down or unreachable, not a bad request. */
export function isEngineDown(e: unknown): boolean {
  const code = (e as HttpishError | null)?.code;
  if (
    code &&
    ['ECONNREFUSED', 'ENOENT', 'EACCES', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT'].includes(code)
  ) {
    return true;
  }
  if (e instanceof Error && (e.name === 'AbortError' || e.name === 'TimeoutError')) return true;
  return e instanceof Error && /socket hang up/i.test(e.message);
}

/** Rethrows an engine failure as the error the API shows; other errors pass through. */
export function mapDockerError(e: unknown): never {
  if (e instanceof AppError) throw e;
  if (isEngineDown(e)) {
    throw new AppError(
      'SERVICE_UNAVAILABLE',
      'The Docker engine is not reachable; try again later',
      {
        cause: e,
      },
    );
  }
  throw e;
}

const deadline = () => AbortSignal.timeout(CALL_TIMEOUT_MS);

/** Collects a stream's bytes up to a limit; past it the output counts as too big. */
function collector(limit: number): {
  sink: Writable;
  bytes: () => Buffer;
  overflow: () => boolean;
} {
  const parts: Buffer[] = [];
  let size = 0;
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      size += chunk.length;
      if (size <= limit) parts.push(chunk);
      done();
    },
  });
  return { sink, bytes: () => Buffer.concat(parts), overflow: () => size > limit };
}

/** The lines a command prints, handed out one at a time as they arrive (LF ends a line). */
export class LineReader {
  private readonly parts: Buffer[] = [];
  private readonly lines: string[] = [];
  private waiter: { resolve: (line: string | null) => void; reject: (e: Error) => void } | null =
    null;
  private ended = false;
  private failure: Error | null = null;
  private total = 0;
  /** Everything printed that was not read as a line yet, for error messages. */
  readonly sink: Writable;

  constructor(private readonly limit: number) {
    this.sink = new Writable({
      write: (chunk: Buffer, _enc, done) => {
        this.push(chunk);
        done();
      },
    });
  }

  private push(chunk: Buffer): void {
    if (this.failure) return;
    this.total += chunk.length;
    if (this.total > this.limit) {
      this.fail(new Error(`output larger than ${this.limit} bytes`));
      return;
    }
    let start = 0;
    for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, start)) {
      this.parts.push(chunk.subarray(start, i));
      this.lines.push(Buffer.concat(this.parts).toString('utf8'));
      this.parts.length = 0;
      start = i + 1;
    }
    if (start < chunk.length) this.parts.push(chunk.subarray(start));
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    if (!w) return;
    if (this.lines.length > 0) {
      this.waiter = null;
      w.resolve(this.lines.shift()!);
    } else if (this.failure) {
      this.waiter = null;
      w.reject(this.failure);
    } else if (this.ended) {
      this.waiter = null;
      w.resolve(null);
    }
  }

  /** The stream ended: a last line without LF still counts. */
  end(): void {
    if (this.parts.length > 0) {
      this.lines.push(Buffer.concat(this.parts).toString('utf8'));
      this.parts.length = 0;
    }
    this.ended = true;
    this.wake();
  }

  fail(e: Error): void {
    this.failure ??= e;
    this.wake();
  }

  /** The next line, or null once the command's output has ended. */
  next(): Promise<string | null> {
    if (this.waiter) return Promise.reject(new Error('one line at a time'));
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
      this.wake();
    });
  }
}

/** A command running in the container, talked to through its stdin and stdout. */
export interface ExecSession {
  /** Sends bytes to the command's stdin (never closed: the command reads what it needs). */
  send(data: Buffer | string): void;
  /** The command's stdout, line by line. */
  lines: LineReader;
  /** What it printed on stderr so far (the first 16 KiB). */
  stderr(): string;
  /** Ends the session: the command sees its stdin end and stops. */
  close(): void;
}

/**
 * Starts argv (no shell) as the container user `user` (a name the engine looks up in the
 * container's own /etc/passwd, as root, the way `docker exec -u` does; never a uid the
 * workspace could have told us) with stdin attached, and hands back its stdin and stdout.
 * Output past `limit` bytes, or a session older than the call deadline, fails the reader.
 */
export async function startExecSession(
  c: Docker.Container,
  user: string,
  argv: string[],
  limit = 8 * MAX_READ_BYTES,
): Promise<ExecSession> {
  const lines = new LineReader(limit);
  const err = collector(16 * 1024);
  let stream: Duplex;
  try {
    const exec = await c.exec({
      Cmd: argv,
      User: user,
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      abortSignal: deadline(),
    } as Docker.ExecCreateOptions);
    stream = (await exec.start({
      hijack: true,
      stdin: true,
      abortSignal: deadline(),
    })) as Duplex;
  } catch (e) {
    return mapDockerError(e);
  }
  c.modem.demuxStream(stream, lines.sink, err.sink);
  const timer = setTimeout(() => {
    lines.fail(new Error('the command in the workspace did not finish in time'));
    stream.destroy();
  }, CALL_TIMEOUT_MS);
  const finish = () => (clearTimeout(timer), lines.end());
  stream.on('end', finish);
  stream.on('close', finish);
  // A write after the command stopped reading (a check refused the write) is no failure of its
  // own: the command's last line says what happened.
  stream.on('error', (e: Error) => {
    clearTimeout(timer);
    if ((e as HttpishError).code === 'EPIPE') lines.end();
    else lines.fail(e);
  });
  return {
    send: (data) => void stream.write(data),
    lines,
    stderr: () => err.bytes().toString('utf8'),
    close: () => (clearTimeout(timer), stream.destroy()),
  };
}
