// A tiny element builder and the shared bits every section uses (live announcements, busy
// buttons), so sections read as a description of the view rather than DOM plumbing.
import type { Host } from './host';
import type { ViewState } from '../protocol/model';

type Child = Node | string | null | undefined | false;
type Attrs = Record<string, string | boolean | number | undefined | null>;

export function h<K extends string>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    el.setAttribute(name, value === true ? '' : String(value));
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'string' ? document.createTextNode(c) : c);
  }
  return el;
}

export type SignedIn = Extract<ViewState, { signedIn: true }>;

export interface Ctx {
  state: SignedIn;
  host: Host;
  /** Says something in the polite live region (screen readers) and the visible status line. */
  announce(text: string, kind?: 'info' | 'error'): void;
  /** Runs `work` with `button` disabled; errors are announced, never thrown. */
  run<T>(button: HTMLElement, pending: string, work: () => Promise<T>): Promise<T | undefined>;
  /** Asks the host for fresh state and re-renders. */
  reload(): Promise<void>;
}

export function button(
  label: string,
  attrs: Attrs & { secondary?: boolean } = {},
  onClick?: (el: HTMLElement) => void,
): HTMLElement {
  const el = h('vscode-button', attrs, label);
  if (onClick) el.addEventListener('click', () => onClick(el));
  return el;
}

export function section(id: string, title: string, ...children: Child[]): HTMLElement {
  return h(
    'section',
    { id: `section-${id}`, class: 'section', 'aria-labelledby': `heading-${id}` },
    h('h2', { id: `heading-${id}`, tabindex: '-1' }, title),
    ...children,
  );
}

export function formatTime(iso: string | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/** Reads a vscode-textfield's (or any input-like element's) current value. */
export function valueOf(el: HTMLElement): string {
  return (el as HTMLElement & { value?: string }).value ?? '';
}

export function setValue(el: HTMLElement, value: string): void {
  (el as HTMLElement & { value: string }).value = value;
}

/** A text field with its visible label (vscode-label `for` also names the inner input). */
export function textField(
  id: string,
  label: string,
  opts: { type?: 'text' | 'password' | 'url'; placeholder?: string; value?: string } = {},
): { wrap: HTMLElement; field: HTMLElement } {
  const field = h('vscode-textfield', {
    id,
    type: opts.type ?? 'text',
    placeholder: opts.placeholder,
    autocomplete: 'off',
  });
  Object.assign(field, { label, value: opts.value ?? '' });
  const wrap = h('div', { class: 'field' }, h('vscode-label', { for: id }, label), field);
  return { wrap, field };
}
