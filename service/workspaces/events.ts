// Follows the Docker engine's container events (start, die, destroy) and hands them to a
// handler; reconnects with backoff when the stream ends or the engine restarts, replaying the
// gap with `since` and dropping events it has already seen.
import { StringDecoder } from 'node:string_decoder';
import type Docker from 'dockerode';
import type { Logger } from '../logger';

export interface ContainerEvent {
  action: 'start' | 'die' | 'destroy';
  id: string;
  labels: Record<string, string>;
  /** nanoseconds since the epoch, as Docker reports it */
  timeNano: bigint;
}

const MIN_BACKOFF_MS = 200;
const MAX_BACKOFF_MS = 5000;
const SEEN_LIMIT = 1000;

interface RawEvent {
  Type?: string;
  Action?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  timeNano?: number | string;
  time?: number;
}

export class DockerEventFollower {
  private abort: AbortController | null = null;
  private running: Promise<void> | null = null;
  private seen = new Set<string>();
  private lastTimeSeconds: number | null = null;
  /** True while a stream is open: tests and /readyz can wait for it. */
  connected = false;

  constructor(
    private readonly docker: Docker,
    private readonly onEvent: (e: ContainerEvent) => void,
    private readonly logger: Logger,
    /** Called each time the stream (re)connects, to catch up on what a gap may have hidden. */
    private readonly onConnect: () => void = () => undefined,
  ) {}

  start(): void {
    if (this.running) return;
    this.abort = new AbortController();
    this.running = this.loop(this.abort.signal);
  }

  async stop(): Promise<void> {
    this.abort?.abort();
    await this.running;
    this.running = null;
  }

  private async loop(signal: AbortSignal): Promise<void> {
    let backoff = MIN_BACKOFF_MS;
    while (!signal.aborted) {
      try {
        const stream = (await this.docker.getEvents({
          filters: { type: ['container'], event: ['start', 'die', 'destroy'] },
          // After a disconnect, replay from a second before the last event seen.
          ...(this.lastTimeSeconds !== null ? { since: String(this.lastTimeSeconds - 1) } : {}),
          abortSignal: signal,
        } as Parameters<Docker['getEvents']>[0])) as NodeJS.ReadableStream;
        this.connected = true;
        backoff = MIN_BACKOFF_MS;
        if (this.lastTimeSeconds === null) this.lastTimeSeconds = Math.floor(Date.now() / 1000);
        this.onConnect();
        await this.consume(stream, signal);
      } catch (e) {
        if (!signal.aborted) {
          this.logger.warn({ err: (e as Error).message }, 'docker event stream failed');
        }
      }
      this.connected = false;
      if (signal.aborted) break;
      await sleep(backoff, signal);
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    }
  }

  private consume(stream: NodeJS.ReadableStream, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      let buffered = '';
      // Chunks may split a multi-byte character (labels are UTF-8).
      const decoder = new StringDecoder('utf8');
      const finish = () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
        finish();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      stream.on('data', (chunk: Buffer | string) => {
        buffered += typeof chunk === 'string' ? chunk : decoder.write(chunk);
        let nl = buffered.indexOf('\n');
        while (nl >= 0) {
          this.handleLine(buffered.slice(0, nl));
          buffered = buffered.slice(nl + 1);
          nl = buffered.indexOf('\n');
        }
        if (buffered.length > 1_000_000) buffered = ''; // a broken stream, not an event
      });
      stream.on('end', finish);
      stream.on('close', finish);
      stream.on('error', (e: Error) => {
        if (!signal.aborted) this.logger.warn({ err: e.message }, 'docker event stream error');
        finish();
      });
    });
  }

  private handleLine(line: string): void {
    if (!line.trim()) return;
    let raw: RawEvent;
    try {
      raw = JSON.parse(line) as RawEvent;
    } catch {
      return;
    }
    const action = raw.Action;
    const id = raw.Actor?.ID;
    if (raw.Type !== 'container' || !id) return;
    if (action !== 'start' && action !== 'die' && action !== 'destroy') return;
    const timeNano = BigInt(raw.timeNano ?? (raw.time ?? 0) * 1e9);
    const key = `${id}:${action}:${timeNano}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    if (this.seen.size > SEEN_LIMIT) {
      const oldest = this.seen.values().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
    this.lastTimeSeconds = Math.max(this.lastTimeSeconds ?? 0, Number(timeNano / 1_000_000_000n));
    const labels = { ...(raw.Actor?.Attributes ?? {}) };
    try {
      this.onEvent({ action, id, labels, timeNano });
    } catch (e) {
      this.logger.error({ err: (e as Error).message }, 'container event handler failed');
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
