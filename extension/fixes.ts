// Every error notification offers the action that fixes it (issue 15): a sign-in, the setting to
// change, a reconnect to the provider, or running the command again. The fix is an editor
// command, so the notification needs nothing but its label and the command to run.
import { ServiceError } from './client';
import type { Ui } from './ui';

export interface Fix {
  label: string;
  command: string;
  args?: unknown[];
}

export const fixes = {
  signIn: (): Fix => ({ label: 'Sign In', command: 'xaresCredentials.signIn' }),
  signInAgain: (): Fix => ({ label: 'Sign In Again', command: 'xaresCredentials.signIn' }),
  openSettings: (setting: string): Fix => ({
    label: 'Open Settings',
    command: 'workbench.action.openSettings',
    args: [setting],
  }),
  reconnect: (provider: 'github' | 'gitlab'): Fix => ({
    label: 'Reconnect',
    command: 'xaresCredentials.connectProvider',
    args: [provider],
  }),
  addToken: (): Fix => ({ label: 'Add a Token Instead', command: 'xaresCredentials.addGitToken' }),
  openView: (section: string): Fix => ({
    label: 'Open Credentials',
    command: 'xaresCredentials.open',
    args: [section],
  }),
  tryAgain: (commandId: string): Fix => ({
    label: 'Try Again',
    command: `xaresCredentials.${commandId}`,
  }),
};

/** An error whose fix is known where it is thrown. */
export class FixableError extends Error {
  constructor(
    message: string,
    readonly fix: Fix,
  ) {
    super(message);
    this.name = 'FixableError';
  }
}

/** The fix for an error thrown by command `commandId` (its id without the prefix). */
export function fixFor(err: unknown, commandId: string): Fix {
  if (err instanceof FixableError) return err.fix;
  if (err instanceof ServiceError) {
    switch (err.kind) {
      case 'signed_out':
        return fixes.signIn();
      case 'unauthorized':
        return fixes.signInAgain();
      case 'network':
        return fixes.openSettings('xaresCredentials.serviceUrl');
      case 'forbidden':
        // A workspace session may only read and inject: the fix is signing in with an account.
        return fixes.signIn();
      case 'not_found':
        if (commandId === 'injectWorkspace')
          return fixes.openSettings('xaresCredentials.workspaceId');
        break;
      default:
        break;
    }
  }
  return fixes.tryAgain(commandId);
}

/** Shows `message` as an error with `fix` as its button, and runs the fix when chosen. */
export async function showError(ui: Ui, message: string, fix: Fix): Promise<void> {
  const choice = await ui.error(message, fix.label);
  if (choice === fix.label) await ui.runCommand(fix.command, ...(fix.args ?? []));
}

/** The same for a warning (a token test that failed is the provider's answer, not an error). */
export async function showWarning(ui: Ui, message: string, fix: Fix): Promise<void> {
  const choice = await ui.warn(message, fix.label);
  if (choice === fix.label) await ui.runCommand(fix.command, ...(fix.args ?? []));
}
