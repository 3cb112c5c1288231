// The few Docker Engine calls injection needs, each with a deadline, and the mapping of an
// unreachable engine to SERVICE_UNAVAILABLE. Paths are absolute inside the container.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { Writable } from 'node:stream';
import Docker from 'dockerode';
import { AppError } from '../errors';
import { firstFileOf } from './archive';
import type { PathStat } from './manifest';

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

/** Parses Docker's RFC 3339 time keeping the sub-millisecond part as a fraction of ms. */
export function parseDockerTime(value: string): number {
  const m = /^(.*?)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(value);
  if (!m) return Number.NaN;
  const whole = Date.parse(`${m[1]}${m[3]}`);
  const fraction = m[2] ? Number(`0.${m[2]}`) * 1000 : 0;
  return whole + fraction;
}

/** Stat of a path (HEAD on the archive endpoint), or null when it does not exist. */
export async function statPath(c: Docker.Container, path: string): Promise<PathStat | null> {
  try {
    const res = (await c.infoArchive({ path, abortSignal: deadline() })) as IncomingMessage;
    res.resume();
    const raw = res.headers['x-docker-container-path-stat'];
    if (typeof raw !== 'string') return null;
    const st = JSON.parse(Buffer.from(raw, 'base64').toString('utf8')) as {
      size: number;
      mode: number;
      mtime: string;
      linkTarget?: string;
    };
    // Go's os.FileMode: ModeDir is the top bit, ModeSymlink the fifth from the top. The engine
    // stats the last component itself (a link is reported as a link), but follows links in the
    // directories above it: a stat is a hint for planning, never a check that a write is safe.
    const isDir = (st.mode & 0x80000000) !== 0;
    const isLink = (st.mode & 0x08000000) !== 0;
    return {
      size: st.size,
      mode: st.mode & 0o7777,
      mtime: parseDockerTime(st.mtime),
      isDir,
      isLink,
    };
  } catch (e) {
    if (statusOf(e) === 404) return null;
    return mapDockerError(e);
  }
}

/** A regular file with its owner's uid, or null when it does not exist (or is not one). */
export async function readFileOwned(
  c: Docker.Container,
  path: string,
): Promise<{ content: Buffer; uid: number } | null> {
  try {
    const stream = (await c.getArchive({ path, abortSignal: deadline() })) as NodeJS.ReadableStream;
    return await firstFileOf(stream, MAX_READ_BYTES);
  } catch (e) {
    if (statusOf(e) === 404) return null;
    return mapDockerError(e);
  }
}

/** The content of a regular file, or null when it does not exist (or is not a regular file). */
export async function readFile(c: Docker.Container, path: string): Promise<Buffer | null> {
  return (await readFileOwned(c, path))?.content ?? null;
}

export interface ExecResult {
  /** The exit code; null when not asked for (`inspect: false`). */
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

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

/**
 * Runs argv (no shell) as uid:gid, the workspace user and never root, with `input` on its stdin,
 * and returns its exit code and output (stdout up to 1 MiB). Stdin is not closed after the
 * input (a half-closed connection does not pass every proxy): the command reads what it needs.
 * With `inspect: false` the exit code is not asked for (one round trip less): the command
 * reports its outcome on stdout.
 */
export async function execAsUser(
  c: Docker.Container,
  user: { uid: number; gid: number },
  argv: string[],
  input?: Buffer,
  opts: { inspect?: boolean } = {},
): Promise<ExecResult> {
  const out = collector(MAX_READ_BYTES);
  const err = collector(16 * 1024);
  try {
    const exec = await c.exec({
      Cmd: argv,
      User: `${user.uid}:${user.gid}`,
      AttachStdin: input !== undefined,
      AttachStdout: true,
      AttachStderr: true,
      abortSignal: deadline(),
    } as Docker.ExecCreateOptions);
    const stream = await exec.start({
      hijack: true,
      stdin: input !== undefined,
      abortSignal: deadline(),
    });
    c.modem.demuxStream(stream, out.sink, err.sink);
    const ended = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        stream.destroy();
        reject(new Error('the command in the workspace did not finish in time'));
      }, CALL_TIMEOUT_MS);
      stream.on('end', () => (clearTimeout(timer), resolve()));
      stream.on('close', () => (clearTimeout(timer), resolve()));
      stream.on('error', (e) => (clearTimeout(timer), reject(e)));
    });
    // The command may exit without reading all its input (a check refused the write): its
    // exit code says so, so a write error on stdin is not a failure of its own.
    if (input !== undefined) {
      stream.on('error', () => undefined);
      stream.write(input);
    }
    await ended;
    stream.destroy();
    if (out.overflow()) throw new Error(`output larger than ${MAX_READ_BYTES} bytes`);
    const info = opts.inspect === false ? null : await exec.inspect({ abortSignal: deadline() });
    return {
      code: info ? (info.ExitCode ?? -1) : null,
      stdout: out.bytes(),
      stderr: err.bytes().toString('utf8'),
    };
  } catch (e) {
    return mapDockerError(e);
  }
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
