// The Ui seam implemented with the editor's own widgets: input boxes, quick picks,
// notifications, modal dialogs, progress, clipboard and the save dialog.
import * as vscode from 'vscode';
import type { AskOptions, PickItem, Progress, Ui } from './ui';

export class VscodeUi implements Ui {
  async ask(o: AskOptions): Promise<string | undefined> {
    return vscode.window.showInputBox({
      title: o.title,
      prompt: o.prompt,
      placeHolder: o.placeHolder,
      password: o.password ?? false,
      value: o.value,
      ignoreFocusOut: true,
      validateInput: o.validate ? (v) => o.validate?.(v) ?? null : undefined,
    });
  }

  async pick<T>(title: string, items: PickItem<T>[]): Promise<T | undefined> {
    const chosen = await vscode.window.showQuickPick(
      items.map((i) => ({ label: i.label, description: i.description, value: i.value })),
      { title, ignoreFocusOut: true },
    );
    return chosen?.value;
  }

  async info(message: string, ...actions: string[]) {
    return vscode.window.showInformationMessage(message, ...actions);
  }

  async warn(message: string, ...actions: string[]) {
    return vscode.window.showWarningMessage(message, ...actions);
  }

  async error(message: string, ...actions: string[]) {
    return vscode.window.showErrorMessage(message, ...actions);
  }

  async confirm(message: string, detail: string, confirmLabel: string): Promise<boolean> {
    const choice = await vscode.window.showWarningMessage(
      message,
      { modal: true, detail },
      confirmLabel,
    );
    return choice === confirmLabel;
  }

  async progress<T>(
    title: string,
    task: (progress: Progress) => Promise<T>,
    options?: { cancellable?: boolean },
  ): Promise<T> {
    return vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title,
        cancellable: options?.cancellable ?? false,
      },
      (reporter, token) =>
        task({
          report: (message) => reporter.report({ message }),
          get cancelled() {
            return token.isCancellationRequested;
          },
          onCancel: (listener) => void token.onCancellationRequested(listener),
        }),
    );
  }

  async openExternal(url: string): Promise<boolean> {
    const uri = vscode.Uri.parse(url, true);
    // Never a command: or file: link handed over by a service answer.
    if (uri.scheme !== 'https' && uri.scheme !== 'http') return false;
    return vscode.env.openExternal(uri);
  }

  async runCommand(command: string, ...args: unknown[]): Promise<void> {
    await vscode.commands.executeCommand(command, ...args);
  }

  async copy(text: string): Promise<void> {
    await vscode.env.clipboard.writeText(text);
  }

  async saveFile(defaultName: string, content: string): Promise<string | undefined> {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const target = await vscode.window.showSaveDialog({
      defaultUri: folder ? vscode.Uri.joinPath(folder, defaultName) : undefined,
      saveLabel: 'Save',
      title: `Save ${defaultName}`,
    });
    if (!target) return undefined;
    await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(content));
    return target.scheme === 'file' ? target.fsPath : target.toString();
  }
}
