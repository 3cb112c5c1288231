// The webview's side of the protocol: posts `ready` first, sends requests and resolves each with
// its response (or rejects with the host's message), and delivers host notifications.
import { command, isNotification, isResponse, Ready, request } from '../protocol/messages';
import type { MessageType, Notification } from '../protocol/messages';

interface VsCodeApi {
  postMessage(message: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

/** Longest wait for an answer: covers modal confirmations and slow provider tests. */
const REQUEST_TIMEOUT_MS = 5 * 60 * 1000;

export class Host {
  private readonly api = acquireVsCodeApi();
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: number }
  >();
  private readonly listeners: { method: string; fn: (params: unknown) => void }[] = [];

  constructor() {
    window.addEventListener('message', (e: MessageEvent<unknown>) => this.receive(e.data));
  }

  ready(): void {
    this.api.postMessage(command(Ready, undefined));
  }

  request<P, R>(type: MessageType<P, R>, params: P): Promise<R> {
    const id = this.nextId++;
    return new Promise<R>((resolve, reject) => {
      const timer = window.setTimeout(() => {
        this.pending.delete(id);
        reject(new Error('The editor did not answer in time.'));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(id, { resolve: (v) => resolve(v as R), reject, timer });
      this.api.postMessage(request(type, id, params));
    });
  }

  on<P>(type: MessageType<P>, fn: (params: P) => void): void {
    this.listeners.push({ method: type.method, fn: (p) => fn(p as P) });
  }

  private receive(message: unknown): void {
    if (isResponse(message)) {
      const waiting = this.pending.get(message.id);
      if (!waiting) return;
      this.pending.delete(message.id);
      window.clearTimeout(waiting.timer);
      if (message.ok) waiting.resolve(message.result);
      else waiting.reject(new Error(message.error));
      return;
    }
    for (const l of this.listeners) {
      if (isNotification(message, { method: l.method })) {
        l.fn((message as Notification<unknown>).params);
      }
    }
  }
}
