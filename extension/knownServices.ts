// The service addresses the user has confirmed signing in to, kept in globalState (an address is
// not a secret). Sign-in to an address not listed here asks first and shows it, so a setting
// that points elsewhere cannot collect a password unnoticed.
import { sameService } from './serviceUrl';

export const KNOWN_SERVICES_KEY = 'xaresCredentials.confirmedServiceUrls';

/** The part of vscode.Memento used here. */
export interface StateStore {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): PromiseLike<void>;
}

export class KnownServices {
  constructor(private readonly state: StateStore) {}

  private list(): string[] {
    const value = this.state.get<unknown>(KNOWN_SERVICES_KEY);
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  }

  has(serviceUrl: string): boolean {
    return this.list().some((known) => sameService(known, serviceUrl));
  }

  async remember(serviceUrl: string): Promise<void> {
    if (this.has(serviceUrl)) return;
    await this.state.update(KNOWN_SERVICES_KEY, [...this.list(), serviceUrl.replace(/\/+$/, '')]);
  }
}
