// The extension's settings and the values in effect: the service URL (the user's setting, else
// the one the workspace was injected with), the workspace id, and the terminal environment
// switch. All three are machine-scoped and read from the user's own settings only (see
// settingRules.ts): a repository's workspace settings never reach them.
import * as vscode from 'vscode';
import { resolveServiceUrl, userOnlyValue } from './settingRules';
import { defaultWorkspaceId, readInjectedServiceUrl } from './workspaceFiles';

export const SECTION = 'xaresCredentials';
export { DEFAULT_SERVICE_URL } from './settingRules';

function config() {
  return vscode.workspace.getConfiguration(SECTION);
}

export async function effectiveServiceUrl(): Promise<string> {
  return resolveServiceUrl(config().inspect<string>('serviceUrl'), await readInjectedServiceUrl());
}

export function workspaceId(): string {
  return defaultWorkspaceId(userOnlyValue(config().inspect<string>('workspaceId')));
}

export function terminalEnvironmentEnabled(): boolean {
  return userOnlyValue(config().inspect<boolean>('terminalEnvironment')) === true;
}

export function onDidChangeSettings(listener: (key: string) => void): vscode.Disposable {
  return vscode.workspace.onDidChangeConfiguration((e) => {
    for (const key of ['serviceUrl', 'workspaceId', 'terminalEnvironment']) {
      if (e.affectsConfiguration(`${SECTION}.${key}`)) listener(key);
    }
  });
}
