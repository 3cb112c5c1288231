// Which setting values the extension believes (issue 11: a cloned repository's
// `.vscode/settings.json` must not point the extension at another service). Kept apart from
// `vscode` so the rules are unit-tested as they are.
import { sameService } from './serviceUrl';

export const DEFAULT_SERVICE_URL = 'http://127.0.0.1:7300';

/** The part of vscode's `WorkspaceConfiguration.inspect()` answer these rules look at. */
export interface Inspected<T> {
  defaultValue?: T;
  globalValue?: T;
  workspaceValue?: T;
  workspaceFolderValue?: T;
}

/**
 * The value of a machine-scoped setting that only the user (or the machine's operator) can set:
 * the user/remote settings, else the default. Workspace and folder values are never read: VS Code
 * ignores machine-scoped settings there too, but this does not depend on it.
 */
export function userOnlyValue<T>(inspected: Inspected<T> | undefined): T | undefined {
  return inspected?.globalValue ?? inspected?.defaultValue;
}

/** The user's setting wins; left unset, the address injected into the workspace; else the default. */
export function resolveServiceUrl(
  inspected: Inspected<string> | undefined,
  injectedUrl: string | undefined,
): string {
  const own = inspected?.globalValue?.trim();
  if (own) return own;
  return injectedUrl ?? inspected?.defaultValue?.trim() ?? DEFAULT_SERVICE_URL;
}

/**
 * Where the workspace token may go: only to the service the injection named in
 * `~/.config/xares/service-url`, and only when that is the service in effect. Anything else
 * (no injected address, or a configured address that differs) gets no workspace token.
 */
export function workspaceTokenTarget(
  serviceUrl: string,
  injectedUrl: string | undefined,
): string | undefined {
  return injectedUrl && sameService(serviceUrl, injectedUrl) ? injectedUrl : undefined;
}
