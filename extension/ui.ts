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

export interface Ui {
  ask(options: AskOptions): Promise<string | undefined>;
  pick<T>(title: string, items: PickItem<T>[]): Promise<T | undefined>;
  info(message: string, ...actions: string[]): Promise<string | undefined>;
  warn(message: string, ...actions: string[]): Promise<string | undefined>;
  error(message: string, ...actions: string[]): Promise<string | undefined>;
  /** A modal question; true only when the user chose `confirmLabel`. */
  confirm(message: string, detail: string, confirmLabel: string): Promise<boolean>;
  progress<T>(title: string, task: () => Promise<T>): Promise<T>;
  copy(text: string): Promise<void>;
  /** Asks where to save and writes `content` there; the chosen path, or undefined if cancelled. */
  saveFile(defaultName: string, content: string): Promise<string | undefined>;
}
