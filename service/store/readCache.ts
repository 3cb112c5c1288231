// Short-lived read-through caches for the lookups every request makes (its session, the user's
// credential list), one scope per database. An entry lives `ttlMs` at most; writes made through
// this process forget what they touch, so only another process's writes (a command, another
// replica) can be missed, and for no longer than `ttlMs`.
//
// Two races are closed here rather than by callers:
// - a read that started before a write and finishes after it must not cache what it read: every
//   forget moves the scope's epoch on, and a read caches only if the epoch did not move;
// - a write inside a transaction is not visible to other connections until it commits, so a read
//   in between would cache the old state: such a write keeps its keys uncached for `ttlMs`.
// Reads inside a transaction neither use nor fill the cache (they may see uncommitted rows).
import type { Executor } from './database';

interface Entry<V> {
  value: V;
  /** Date.now() after which the entry is not used. */
  until: number;
}

interface Scope<V> {
  entries: Map<string, Entry<V>>;
  epoch: number;
  /** Keys written inside a transaction, not cached again before the time given. */
  quietKeys: Map<string, number>;
  /** The same for a forget by predicate inside a transaction: no key is cached before then. */
  quietAll: number;
}

export class ReadCache<V> {
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #scopes = new WeakMap<object, Scope<V>>();

  constructor(options: { ttlMs: number; maxEntries: number }) {
    this.#ttlMs = options.ttlMs;
    this.#maxEntries = options.maxEntries;
  }

  /**
   * The value of `key`: from the cache while fresh and `usable` says so, else from `load`, which
   * is cached unless it is undefined or a write intervened.
   */
  async read(
    db: Executor,
    key: string,
    load: () => Promise<V | undefined>,
    usable: (value: V) => boolean = () => true,
  ): Promise<V | undefined> {
    if (db.isTransaction) return load();
    const scope = this.#scope(db);
    const entry = scope.entries.get(key);
    if (entry) {
      if (entry.until > Date.now() && usable(entry.value)) return entry.value;
      scope.entries.delete(key);
    }
    const epoch = scope.epoch;
    const value = await load();
    if (value !== undefined && epoch === scope.epoch) this.#store(scope, key, value);
    return value;
  }

  /** Forgets `key` around a write (call before and after it, see `around`). */
  forgetKey(db: Executor, key: string): void {
    const scope = this.#scope(db);
    scope.epoch++;
    scope.entries.delete(key);
    if (db.isTransaction) {
      const now = Date.now();
      if (scope.quietKeys.size >= this.#maxEntries) {
        for (const [k, until] of scope.quietKeys) if (until <= now) scope.quietKeys.delete(k);
      }
      scope.quietKeys.set(key, now + this.#ttlMs);
    }
  }

  /** Forgets every entry that matches. */
  forget(db: Executor, match: (value: V) => boolean): void {
    const scope = this.#scope(db);
    scope.epoch++;
    for (const [key, entry] of scope.entries) if (match(entry.value)) scope.entries.delete(key);
    if (db.isTransaction) scope.quietAll = Date.now() + this.#ttlMs;
  }

  /** Runs a write with `forget` before and after it, so no read that overlapped it is cached. */
  async around<T>(forget: () => void, write: () => Promise<T>): Promise<T> {
    forget();
    try {
      return await write();
    } finally {
      forget();
    }
  }

  #scope(db: Executor): Scope<V> {
    // Transactions share their database's adapter, so they find the same scope.
    const id = db.getExecutor().adapter;
    let scope = this.#scopes.get(id);
    if (!scope) {
      scope = { entries: new Map(), epoch: 0, quietKeys: new Map(), quietAll: 0 };
      this.#scopes.set(id, scope);
    }
    return scope;
  }

  #store(scope: Scope<V>, key: string, value: V): void {
    const now = Date.now();
    if (now < scope.quietAll) return;
    const quiet = scope.quietKeys.get(key);
    if (quiet !== undefined) {
      if (now < quiet) return;
      scope.quietKeys.delete(key);
    }
    if (scope.entries.size >= this.#maxEntries) {
      for (const [k, e] of scope.entries) if (e.until <= now) scope.entries.delete(k);
      // Still full of fresh entries: drop the oldest (a Map keeps insertion order).
      const oldest = scope.entries.keys().next();
      if (scope.entries.size >= this.#maxEntries && !oldest.done) {
        scope.entries.delete(oldest.value);
      }
    }
    scope.entries.set(key, { value, until: now + this.#ttlMs });
  }
}
