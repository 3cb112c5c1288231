// Entry of the Credentials webview: renders the state the host sends (signed out, or the five
// sections of the original design's Credentials tab) and turns clicks into typed requests.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-label/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-radio/index.js';
import '@vscode-elements/elements/dist/vscode-radio-group/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-textarea/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import {
  FocusSection,
  GetState,
  InjectWorkspace,
  SignIn,
  SignOut,
  StateChanged,
} from '../protocol/messages';
import type { ViewState } from '../protocol/model';
import { button, h } from './dom';
import type { Ctx, SignedIn } from './dom';
import { Host } from './host';
import { auditSection } from './sections/audit';
import { securitySection } from './sections/security';
import { sshSection } from './sections/ssh';
import { gitSection } from './sections/git';
import { aiSection } from './sections/tokens';

const host = new Host();
const app = document.getElementById('app')!;
const live = document.getElementById('live')!;

function announce(text: string, kind: 'info' | 'error' = 'info'): void {
  live.textContent = text;
  live.className = `live ${kind}`;
}

async function run<T>(el: HTMLElement, pending: string, work: () => Promise<T>) {
  el.setAttribute('disabled', '');
  announce(pending);
  try {
    return await work();
  } catch (err) {
    announce(err instanceof Error ? err.message : String(err), 'error');
    return undefined;
  } finally {
    el.removeAttribute('disabled');
  }
}

async function reload(): Promise<void> {
  render(await host.request(GetState, undefined));
}

function signedOut(state: Extract<ViewState, { signedIn: false }>): HTMLElement {
  return h(
    'section',
    { id: 'signed-out', class: 'section', 'aria-labelledby': 'heading-signed-out' },
    h('h2', { id: 'heading-signed-out' }, 'Not signed in'),
    state.message ? h('p', { class: 'bad', role: 'alert' }, state.message) : null,
    h(
      'p',
      {},
      `Sign in to the credential service at ${state.serviceUrl} to manage your SSH key, Git tokens and AI keys.`,
    ),
    h(
      'div',
      { class: 'actions' },
      button('Sign In', { id: 'sign-in' }, (b) =>
        run(b, 'Signing in…', () => host.request(SignIn, undefined)),
      ),
      state.message
        ? button('Retry', { id: 'retry', secondary: true }, (b) => run(b, 'Retrying…', reload))
        : null,
    ),
  );
}

function header(state: SignedIn): HTMLElement {
  return h(
    'header',
    { class: 'header' },
    h(
      'p',
      { id: 'signed-in-as' },
      `Signed in as ${state.username}`,
      state.sessionKind === 'workspace' ? ' (workspace token: read-only)' : '',
      h('span', { class: 'muted' }, ` · ${state.serviceUrl}`),
    ),
    h(
      'div',
      { class: 'actions' },
      button(`Inject into ${state.workspaceId}`, { id: 'inject', secondary: true }, (b) =>
        run(b, 'Injecting credentials…', async () => {
          const r = await host.request(InjectWorkspace, undefined);
          announce(`Injected ${r.files.length} files into ${r.workspaceId}.`);
          await reload();
        }),
      ),
      button('Sign Out', { id: 'sign-out', secondary: true }, (b) =>
        run(b, 'Signing out…', () => host.request(SignOut, undefined)),
      ),
    ),
  );
}

let lastSignedIn: boolean | undefined;

function render(state: ViewState): void {
  app.setAttribute('aria-busy', 'false');
  // Signing in or out starts afresh: an old status line (an expiry, say) no longer applies.
  if (lastSignedIn !== undefined && lastSignedIn !== state.signedIn) announce('');
  lastSignedIn = state.signedIn;
  document.body.dataset.signedIn = String(state.signedIn);
  if (!state.signedIn) {
    app.replaceChildren(signedOut(state));
    return;
  }
  const ctx: Ctx = { state, host, announce, run, reload };
  app.replaceChildren(
    header(state),
    sshSection(ctx),
    gitSection(ctx),
    aiSection(ctx),
    securitySection(ctx),
    auditSection(ctx),
  );
}

host.on(StateChanged, render);
host.on(FocusSection, ({ section }) => {
  const heading = document.getElementById(`heading-${section}`);
  heading?.scrollIntoView({ block: 'start' });
  heading?.focus();
});
host.ready();
