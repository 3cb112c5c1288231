// The extension's settings and the values in effect: the service URL (setting, else the one the
// workspace was injected with), the workspace id, and the terminal environment switch.
import * as vscode from 'vscode';
import { defaultWorkspaceId, readInjectedServiceUrl } from './workspaceFiles';

export const SECTION = 'xaresCredentials';
export const DEFAULT_SERVICE_URL = 'http://127.0.0.1:7300';

function config() {
  return vscode.workspace.getConfiguration(SECTION);
}

/** The user's setting wins; with the default left alone, a workspace's injected URL is used. */
export async function effectiveServiceUrl(): Promise<string> {
  const inspected = config().inspect<string>('serviceUrl');
  const explicit =
    inspected?.workspaceFolderValue ?? inspected?.workspaceValue ?? inspected?.globalValue;
  if (explicit?.trim()) return explicit.trim();
  return (await readInjectedServiceUrl()) ?? DEFAULT_SERVICE_URL;
}

export function workspaceId(): string {
  return defaultWorkspaceId(config().get<string>('workspaceId'));
}

export function terminalEnvironmentEnabled(): boolean {
  return config().get<boolean>('terminalEnvironment', false);
}

export function onDidChangeSettings(listener: (key: string) => void): vscode.Disposable {
  return vscode.workspace.onDidChangeConfiguration((e) => {
    for (const key of ['serviceUrl', 'workspaceId', 'terminalEnvironment']) {
      if (e.affectsConfiguration(`${SECTION}.${key}`)) listener(key);
    }
  });
}
