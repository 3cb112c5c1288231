// The Credentials webview view: strict CSP with a per-load nonce, resources only from the built
// webview folder, and every message routed through MessageRouter (which answers every request).
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { FocusSection, isCommand, notification, Ready, StateChanged } from '../protocol/messages';
import type { ViewState } from '../protocol/model';
import { Disposable } from './disposable';
import type { MessageRouter } from './messageRouter';
import { userMessage } from './messageRouter';

export type Section = 'ssh' | 'git' | 'ai' | 'security' | 'audit';

export class CredentialsViewProvider extends Disposable implements vscode.WebviewViewProvider {
  static readonly viewType = 'xaresCredentials.view';
  private view: vscode.WebviewView | undefined;
  private ready = false;
  private pendingFocus: Section | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly router: MessageRouter,
    private readonly loadState: () => Promise<ViewState>,
    private readonly fallbackState: (message: string) => Promise<ViewState>,
  ) {
    super();
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    this.ready = false;
    const root = vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview');
    view.webview.options = { enableScripts: true, localResourceRoots: [root] };
    view.webview.html = this.html(view.webview, root);
    this._register(
      view.webview.onDidReceiveMessage(async (message: unknown) => {
        if (isCommand(message, Ready)) {
          this.ready = true;
          await this.refresh();
          if (this.pendingFocus) this.focus(this.pendingFocus);
          return;
        }
        const response = await this.router.dispatch(message);
        if (response) await view.webview.postMessage(response);
      }),
    );
    this._register(
      view.onDidDispose(() => {
        this.view = undefined;
        this.ready = false;
      }),
    );
  }

  /** Reloads everything the view shows; a failure shows as a message, never as a stack. */
  async refresh(): Promise<void> {
    if (!this.view || !this.ready) return;
    let state: ViewState;
    try {
      state = await this.loadState();
    } catch (err) {
      state = await this.fallbackState(userMessage(err));
    }
    await this.view?.webview.postMessage(notification(StateChanged, state));
  }

  /** Shows the view (opening its container) and scrolls to a section. */
  async reveal(section?: Section): Promise<void> {
    await vscode.commands.executeCommand(`${CredentialsViewProvider.viewType}.focus`);
    if (section) this.focus(section);
  }

  private focus(section: Section): void {
    if (!this.view || !this.ready) {
      this.pendingFocus = section;
      return;
    }
    this.pendingFocus = undefined;
    void this.view.webview.postMessage(notification(FocusSection, { section }));
  }

  private html(webview: vscode.Webview, root: vscode.Uri): string {
    const nonce = randomBytes(16).toString('base64');
    const script = webview.asWebviewUri(vscode.Uri.joinPath(root, 'main.js'));
    const style = webview.asWebviewUri(vscode.Uri.joinPath(root, 'view.css'));
    const csp = [
      "default-src 'none'",
      `style-src ${webview.cspSource}`,
      `font-src ${webview.cspSource}`,
      `img-src ${webview.cspSource}`,
      `script-src 'nonce-${nonce}'`,
    ].join('; ');
    return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="${csp}">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
  <link rel="stylesheet" href="${style.toString()}">
  <title>Credentials</title>
</head>
<body>
  <main id="app" aria-busy="true"><p>Loading credentials…</p></main>
  <div id="live" class="live" role="status" aria-live="polite"></div>
  <script type="module" nonce="${nonce}" src="${script.toString()}"></script>
</body>
</html>`;
  }
}
