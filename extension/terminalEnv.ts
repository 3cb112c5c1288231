// Optional (setting `xaresCredentials.terminalEnvironment`): offers the workspace's AI keys to
// integrated terminals. No procedure returns a saved key (contract section 4), so the values come
// from the `~/.env` that injection wrote into this workspace; outside a workspace there is
// nothing to offer. The collection is not persistent, so VS Code never stores the values.
import type { DisposableLike } from './disposable';
import { readInjectedEnv } from './workspaceFiles';

/** The part of vscode.EnvironmentVariableCollection used here. */
export interface EnvCollection {
  persistent: boolean;
  description: unknown;
  replace(variable: string, value: string): void;
  clear(): void;
}

export class TerminalEnvironment implements DisposableLike {
  constructor(
    private readonly collection: EnvCollection,
    private readonly enabled: () => boolean,
    private readonly home?: string,
  ) {
    collection.persistent = false;
  }

  /** Re-reads `~/.env`; returns the names offered to terminals (never the values). */
  async refresh(): Promise<string[]> {
    this.collection.clear();
    if (!this.enabled()) return [];
    const vars = await readInjectedEnv(this.home);
    for (const [name, value] of vars) this.collection.replace(name, value);
    this.collection.description = vars.size
      ? `XaresAICoder Credentials: ${[...vars.keys()].join(', ')}`
      : undefined;
    return [...vars.keys()];
  }

  dispose(): void {
    this.collection.clear();
  }
}
