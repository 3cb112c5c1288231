// The words the extension host and the webview both show: each provider's name and how a
// token's expiry reads. Declared once here, so the status bar, the palette and the view agree.
import { daysLeft, EXPIRY_WARNING_DAYS } from './model';
import type { AiProvider, GitProvider } from './model';

export type Provider = GitProvider | AiProvider;

/**
 * Each provider's name as the user reads it, git providers first, then AI providers: the order
 * the status bar and the view list them in. A Record over the service's own provider words, so a
 * provider the service adds and this table lacks is a compile error.
 */
export const PROVIDER_LABELS: Readonly<Record<Provider, string>> = {
  github: 'GitHub',
  gitlab: 'GitLab',
  forgejo: 'Forgejo',
  openai: 'OpenAI',
  anthropic: 'Anthropic',
  google: 'Google AI',
  custom: 'Custom',
};

const ORDER: readonly string[] = Object.keys(PROVIDER_LABELS);

/** Where a provider sorts in lists (the table's order); -1 for a word this release does not know. */
export function providerRank(provider: string): number {
  return ORDER.indexOf(provider);
}

/** A provider's name; a word this release does not know is shown as the service sent it. */
export function providerName(provider: string): string {
  return Object.prototype.hasOwnProperty.call(PROVIDER_LABELS, provider)
    ? PROVIDER_LABELS[provider as Provider]
    : provider;
}

export type Level = 'ok' | 'bad' | 'pending' | 'muted';

/** How a token's expiry stands: none, already past, within the warning days, or later. */
export type ExpiryState = 'none' | 'expired' | 'soon' | 'later';

export interface ExpiryText {
  state: ExpiryState;
  /** "no expiry", "expired", "expires in 3 days", "expires 2027-01-31" */
  text: string;
  level: Level;
}

/** How `expiresAt` reads at `now`; an absent or unreadable date is "no expiry". */
export function expiryText(expiresAt: string | null, now: Date): ExpiryText {
  const days = daysLeft(expiresAt, now);
  if (days === null || expiresAt === null) {
    return { state: 'none', text: 'no expiry', level: 'muted' };
  }
  if (days < 0) return { state: 'expired', text: 'expired', level: 'bad' };
  if (days < EXPIRY_WARNING_DAYS) {
    return {
      state: 'soon',
      text: `expires in ${days} day${days === 1 ? '' : 's'}`,
      level: 'pending',
    };
  }
  return { state: 'later', text: `expires ${expiresAt.slice(0, 10)}`, level: 'muted' };
}
