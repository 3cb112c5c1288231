// A small Disposable base (as in the GitHub Pull Requests extension) and an event emitter that
// needs nothing from the `vscode` module at run time, so host logic stays unit-testable.

export interface DisposableLike {
  dispose(): unknown;
}

export abstract class Disposable implements DisposableLike {
  private readonly disposables: DisposableLike[] = [];
  private disposed = false;

  /** Ties `value`'s lifetime to this object; disposed with it (immediately if already disposed). */
  protected _register<T extends DisposableLike>(value: T): T {
    if (this.disposed) value.dispose();
    else this.disposables.push(value);
    return value;
  }

  protected get isDisposed(): boolean {
    return this.disposed;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    // Reverse order: later registrations may depend on earlier ones.
    for (const d of this.disposables.splice(0).reverse()) {
      try {
        d.dispose();
      } catch (err) {
        console.error('dispose failed', err instanceof Error ? err.message : err);
      }
    }
  }
}

export type Listener<T> = (value: T) => unknown;
/** Same shape as vscode.Event<T>, so these events can be handed to VS Code APIs. */
export type Event<T> = (listener: Listener<T>) => DisposableLike;

export class Emitter<T> implements DisposableLike {
  private listeners = new Set<Listener<T>>();

  readonly event: Event<T> = (listener) => {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  };

  fire(value: T): void {
    for (const l of [...this.listeners]) l(value);
  }

  dispose(): void {
    this.listeners.clear();
  }
}
