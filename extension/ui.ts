// The seam between host logic and the editor's UI: everything a command or the view needs to ask
// or tell the user. vscodeUi.ts implements it with the `vscode` module; tests use a scripted one.

export interface AskOptions {
  title: string;
  prompt: string;
  placeHolder?: string;
  password?: boolean;
  value?: string;
  /** Returns a message when the input is not acceptable, undefined when it is. */
  validate?: (value: string) => string | undefined;
}

export interface PickItem<T> {
  label: string;
  description?: string;
  value: T;
}

/** What a long task may do while it runs under progress. */
export interface Progress {
  /** Shows `message` under the title (the user code of a device sign-in, a step done). */
  report(message: string): void;
  /** True once the user pressed Cancel (only for cancellable progress). */
  readonly cancelled: boolean;
  /** Calls `listener` when the user presses Cancel. */
  onCancel(listener: () => void): void;
}

export interface Ui {
  ask(options: AskOptions): Promise<string | undefined>;
  pick<T>(title: string, items: PickItem<T>[]): Promise<T | undefined>;
  info(message: string, ...actions: string[]): Promise<string | undefined>;
  warn(message: string, ...actions: string[]): Promise<string | undefined>;
  error(message: string, ...actions: string[]): Promise<string | undefined>;
  /** A modal question; true only when the user chose `confirmLabel`. */
  confirm(message: string, detail: string, confirmLabel: string): Promise<boolean>;
  progress<T>(
    title: string,
    task: (progress: Progress) => Promise<T>,
    options?: { cancellable?: boolean },
  ): Promise<T>;
  /** Opens a web page in the user's browser; only http(s) addresses are ever passed. */
  openExternal(url: string): Promise<boolean>;
  /** Runs an editor command (the fix a notification offers: settings, sign-in, reconnect). */
  runCommand(command: string, ...args: unknown[]): Promise<void>;
  copy(text: string): Promise<void>;
  /** Asks where to save and writes `content` there; the chosen path, or undefined if cancelled. */
  saveFile(defaultName: string, content: string): Promise<string | undefined>;
}
