// Entry point of the extension host: activate() only wires the parts together; each concern
// lives in its own module (session, client/backend, view, commands, status bar, terminal env).
import * as vscode from 'vscode';
import { AccountProvider, AUTH_PROVIDER_ID, AUTH_PROVIDER_LABEL } from './accountProvider';
import { CredentialActions } from './actions';
import { CredentialsBackend } from './backend';
import { Commands } from './commands';
import { CredentialsViewProvider } from './credentialsView';
import {
  effectiveServiceUrl,
  onDidChangeSettings,
  terminalEnvironmentEnabled,
  workspaceId,
} from './settings';
import { KnownServices } from './knownServices';
import { ProviderConnect } from './providerConnect';
import { Auth, SessionStore } from './session';
import { StatusBar } from './statusBar';
import { TerminalEnvironment } from './terminalEnv';
import { createViewRouter } from './viewRequests';
import { VscodeUi } from './vscodeUi';
import { readInjectedServiceUrl, readWorkspaceToken } from './workspaceFiles';

export function activate(context: vscode.ExtensionContext): void {
  const keep = <T extends vscode.Disposable>(d: T): T => {
    context.subscriptions.push(d);
    return d;
  };
  const ui = new VscodeUi();
  const sessions = keep(new SessionStore(context.secrets));
  const backend = keep(
    new CredentialsBackend(sessions, {
      serviceUrl: effectiveServiceUrl,
      workspaceId,
      onUnauthorized: () => void auth.expired(),
    }),
  );
  const auth = new Auth(sessions, backend.auth, ui, {
    serviceUrl: effectiveServiceUrl,
    injectedServiceUrl: () => readInjectedServiceUrl(),
    workspaceToken: () => readWorkspaceToken(),
    known: new KnownServices(context.globalState),
  });
  const actions = new CredentialActions(backend, ui, workspaceId);
  const connect = new ProviderConnect(backend, ui);

  // The Accounts menu entry, sign-out there, and getSession for other extensions.
  const accounts = keep(new AccountProvider(sessions, auth, effectiveServiceUrl));
  keep(
    vscode.authentication.registerAuthenticationProvider(
      AUTH_PROVIDER_ID,
      AUTH_PROVIDER_LABEL,
      accounts,
      { supportsMultipleAccounts: false },
    ),
  );

  const view = keep(
    new CredentialsViewProvider(
      context.extensionUri,
      createViewRouter({
        backend,
        actions,
        signIn: () => auth.signIn(),
        signOut: () => auth.signOut(),
        // The palette command's flow, so the view's buttons and the palette behave alike.
        connect: async (provider) =>
          vscode.commands.executeCommand('xaresCredentials.connectProvider', provider),
      }),
      () => backend.loadState(),
      async (message) => ({ signedIn: false, serviceUrl: await effectiveServiceUrl(), message }),
    ),
  );
  keep(
    vscode.window.registerWebviewViewProvider(CredentialsViewProvider.viewType, view, {
      // The view is small; keeping it avoids a reload and a round trip on every reveal.
      webviewOptions: { retainContextWhenHidden: true },
    }),
  );

  const status = keep(
    new StatusBar(
      vscode.window.createStatusBarItem(
        'xaresCredentials.status',
        vscode.StatusBarAlignment.Left,
        50,
      ),
      new vscode.ThemeColor('statusBarItem.warningBackground'),
      'xaresCredentials.open',
    ),
  );
  keep(
    backend.onDidChangeTokens(async (tokens) => {
      const session = await sessions.get(await effectiveServiceUrl());
      status.update(
        session && tokens
          ? { signedIn: true, username: session.username, tokens }
          : { signedIn: false },
      );
    }),
  );

  const terminal = keep(
    new TerminalEnvironment(context.environmentVariableCollection, terminalEnvironmentEnabled),
  );
  const refresh = async () => {
    await view.refresh();
    await terminal.refresh().catch(() => undefined);
  };
  const refreshStatus = async () => {
    const session = await sessions.get(await effectiveServiceUrl());
    // For the walkthrough's first step and the menus.
    await vscode.commands.executeCommand('setContext', 'xaresCredentials.signedIn', !!session);
    if (!session) return status.update({ signedIn: false });
    await backend.listTokens().catch(() => undefined); // fires onDidChangeTokens
  };

  keep(
    sessions.onDidChange(() => {
      void refresh();
      void refreshStatus();
    }),
  );
  keep(
    onDidChangeSettings(() => {
      void refresh();
      void refreshStatus();
      void accounts.sync();
    }),
  );
  keep(
    new Commands({
      auth,
      backend,
      actions,
      ui,
      connect,
      reveal: (section) => view.reveal(section),
      refresh,
    }),
  );

  void auth
    .autoSignIn()
    .then(refreshStatus)
    .then(() => terminal.refresh())
    .catch(() => undefined);
}

export function deactivate(): void {}
