// The status-bar item: signed-out state, then one glyph per configured provider with its last
// test result; a warning look when a token expires within 7 days or failed its last test.
import { EXPIRY_WARNING_DAYS } from '../protocol/model';
import type { TokenView } from '../protocol/model';
import { expiryText, providerName, providerRank } from '../protocol/wording';
import { Disposable } from './disposable';

export function providerLabel(t: Pick<TokenView, 'provider' | 'envVar'>): string {
  const label = providerName(t.provider);
  return t.provider === 'custom' && t.envVar ? `${label} (${t.envVar})` : label;
}

export type StatusState =
  { signedIn: false } | { signedIn: true; username: string; tokens: TokenView[] };

export interface StatusView {
  text: string;
  tooltip: string;
  warning: boolean;
}

function glyph(t: TokenView): string {
  switch (t.lastTest?.status) {
    case 'valid':
      return '$(check)';
    case 'invalid':
      return '$(error)';
    case 'unreachable':
      return '$(debug-disconnect)';
    default:
      return '$(question)';
  }
}

function expiresSoon(t: TokenView, now: Date): boolean {
  const { state } = expiryText(t.expiresAt, now);
  return state === 'expired' || state === 'soon';
}

function describe(t: TokenView, now: Date): string {
  const test = t.lastTest
    ? `${t.lastTest.status}${t.lastTest.detail ? ` (${t.lastTest.detail})` : ''}`
    : 'not tested yet';
  const e = expiryText(t.expiresAt, now);
  // The tooltip is plain text: a past date is written in capitals to stand out.
  const expiry =
    e.state === 'none' ? '' : `; ${e.state === 'expired' ? e.text.toUpperCase() : e.text}`;
  return `${providerLabel(t)} ${t.hint}: ${test}${expiry}`;
}

export function renderStatus(state: StatusState, now = new Date()): StatusView {
  if (!state.signedIn) {
    return {
      text: '$(key) Credentials: signed out',
      tooltip: 'XaresAICoder Credentials: not signed in. Click to open the Credentials view.',
      warning: false,
    };
  }
  // One glyph per provider: its default token, else the first one of that provider.
  const byProvider = new Map<string, TokenView>();
  for (const t of state.tokens) {
    const key = `${t.type}:${t.provider}:${t.envVar ?? ''}`;
    const seen = byProvider.get(key);
    if (!seen || (t.name === 'default' && seen.name !== 'default')) byProvider.set(key, t);
  }
  // A fixed order (git before AI, as in protocol/wording.ts), whatever order the service lists them in.
  const shown = [...byProvider.values()].sort(
    (a, b) =>
      providerRank(a.provider) - providerRank(b.provider) ||
      (a.envVar ?? '').localeCompare(b.envVar ?? ''),
  );
  const failing = shown.filter((t) => t.lastTest?.status === 'invalid');
  const expiring = shown.filter((t) => expiresSoon(t, now));
  // Any token, not only the one shown per provider: a work account's refused renewal matters
  // as much as the default one's.
  const reconnect = [
    ...new Set(state.tokens.filter((t) => t.needsReconnect).map((t) => providerLabel(t))),
  ];
  const warning = failing.length > 0 || expiring.length > 0 || reconnect.length > 0;
  const parts = [
    ...reconnect.map((label) => `reconnect ${label}`),
    ...shown.map((t) => `${providerLabel(t)} ${glyph(t)}`),
  ];
  const text = `${warning ? '$(warning)' : '$(key)'} ${parts.length ? parts.join(' ') : 'Credentials'}`;
  const lines = [`XaresAICoder Credentials: signed in as ${state.username}`];
  if (!shown.length) lines.push('No tokens saved yet.');
  for (const t of shown) lines.push(describe(t, now));
  for (const label of reconnect) {
    lines.push(`Reconnect ${label}: the sign-in could not be renewed.`);
  }
  if (failing.length) lines.push(`Failed last test: ${failing.map(providerLabel).join(', ')}`);
  if (expiring.length) {
    lines.push(
      `Expiring within ${EXPIRY_WARNING_DAYS} days: ${expiring.map(providerLabel).join(', ')}`,
    );
  }
  lines.push('Click to open the Credentials view.');
  return { text, tooltip: lines.join('\n'), warning };
}

/** The part of vscode.StatusBarItem used here. */
export interface StatusBarItemLike<Color> {
  text: string;
  tooltip: unknown;
  command: unknown;
  backgroundColor: Color | undefined;
  name: string | undefined;
  accessibilityInformation?: { label: string };
  show(): void;
  dispose(): void;
}

export class StatusBar<Color> extends Disposable {
  private current: StatusView | undefined;

  constructor(
    private readonly item: StatusBarItemLike<Color>,
    private readonly warningColor: Color,
    openCommand: string,
  ) {
    super();
    this._register(item);
    item.name = 'XaresAICoder Credentials';
    item.command = openCommand;
    this.update({ signedIn: false });
    item.show();
  }

  get view(): StatusView | undefined {
    return this.current;
  }

  update(state: StatusState, now = new Date()): void {
    const view = renderStatus(state, now);
    this.current = view;
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.backgroundColor = view.warning ? this.warningColor : undefined;
    this.item.accessibilityInformation = { label: view.tooltip.replace(/\n/g, '. ') };
  }
}
