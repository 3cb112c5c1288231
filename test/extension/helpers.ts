// Test doubles for the vscode seam only (the editor's UI and SecretStorage): scripted answers
// in, recorded calls out. Service calls in these unit tests go over real HTTP or a typed stub
// of the AuthService seam; the e2e tier runs everything for real.
import { Emitter } from '../../extension/disposable';
import type { StateStore } from '../../extension/knownServices';
import type { SecretStore } from '../../extension/session';
import type { AskOptions, PickItem, Progress, Ui } from '../../extension/ui';

export class MemorySecrets implements SecretStore {
  readonly values = new Map<string, string>();
  private readonly changed = new Emitter<{ key: string }>();
  readonly onDidChange = this.changed.event;

  async get(key: string) {
    return this.values.get(key);
  }
  async store(key: string, value: string) {
    this.values.set(key, value);
    this.changed.fire({ key });
  }
  async delete(key: string) {
    this.values.delete(key);
    this.changed.fire({ key });
  }
  /** Another window changing the secret. */
  external(key: string, value: string | undefined) {
    if (value === undefined) this.values.delete(key);
    else this.values.set(key, value);
    this.changed.fire({ key });
  }
}

/** globalState (vscode.Memento) in memory. */
export class MemoryState implements StateStore {
  readonly values = new Map<string, unknown>();
  get<T>(key: string): T | undefined {
    return this.values.get(key) as T | undefined;
  }
  async update(key: string, value: unknown) {
    this.values.set(key, value);
  }
}

export interface UiCall {
  kind: string;
  text: string;
  actions?: string[];
}

/** A Ui that answers from queues and records everything it was asked to show. */
export class ScriptedUi implements Ui {
  readonly calls: UiCall[] = [];
  readonly answers: (string | undefined)[] = [];
  readonly choices: (string | undefined)[] = [];
  readonly confirmations: boolean[] = [];
  readonly asked: AskOptions[] = [];
  clipboard = '';

  async ask(o: AskOptions) {
    this.asked.push(o);
    this.calls.push({ kind: 'ask', text: o.prompt });
    const answer = this.answers.shift();
    if (answer !== undefined && o.validate?.(answer)) throw new Error(`invalid answer: ${answer}`);
    return answer;
  }
  async pick<T>(title: string, items: PickItem<T>[]) {
    this.calls.push({ kind: 'pick', text: title });
    const label = this.choices.shift();
    return items.find((i) => i.label === label)?.value;
  }
  private note(kind: string, text: string, actions: string[]) {
    this.calls.push({ kind, text, actions });
    return Promise.resolve(this.choices.shift());
  }
  info(text: string, ...actions: string[]) {
    return this.note('info', text, actions);
  }
  warn(text: string, ...actions: string[]) {
    return this.note('warn', text, actions);
  }
  error(text: string, ...actions: string[]) {
    return this.note('error', text, actions);
  }
  async confirm(message: string) {
    this.calls.push({ kind: 'confirm', text: message });
    return this.confirmations.shift() ?? false;
  }
  /** Set to true to press Cancel on the next cancellable progress once it reported something. */
  cancelProgress = false;
  async progress<T>(title: string, task: (p: Progress) => Promise<T>) {
    this.calls.push({ kind: 'progress', text: title });
    const listeners: (() => void)[] = [];
    let cancelled = false;
    const progress: Progress = {
      report: (message) => {
        this.calls.push({ kind: 'report', text: message });
        if (this.cancelProgress && !cancelled) {
          cancelled = true;
          setImmediate(() => listeners.forEach((l) => l()));
        }
      },
      get cancelled() {
        return cancelled;
      },
      onCancel: (l) => void listeners.push(l),
    };
    return task(progress);
  }
  readonly opened: string[] = [];
  async openExternal(url: string) {
    this.opened.push(url);
    return true;
  }
  readonly commands: { command: string; args: unknown[] }[] = [];
  async runCommand(command: string, ...args: unknown[]) {
    this.commands.push({ command, args });
  }
  async copy(text: string) {
    this.clipboard = text;
  }
  async saveFile(name: string) {
    this.calls.push({ kind: 'save', text: name });
    return undefined;
  }
  messages(kind: string): string[] {
    return this.calls.filter((c) => c.kind === kind).map((c) => c.text);
  }
}
