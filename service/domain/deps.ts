// What the domain functions need from the running service, and who is calling: passed in by the
// routers (from the tRPC context), so the domain code never reads globals.
import type { Config } from '../config';
import type { KeyRing } from '../crypto/keyring';
import type { Logger } from '../logger';
import type { ClearResult, InjectResult, Workspace } from '../api/workspaces';
import type { Store } from '../store/database';
import type { Role, SessionKind as AnySessionKind } from '../vocabulary';

export type { Role };
/** The kinds of session a procedure's caller can have (a gateway token calls no procedure). */
export type SessionKind = Exclude<AnySessionKind, 'gateway'>;

/** The authenticated caller of a procedure, as the session resolved it. */
export interface Caller {
  userId: string;
  username: string;
  role: Role;
  sessionKind: SessionKind;
  sessionId: string;
  /** The container a workspace session is bound to; null for user sessions. */
  workspaceId: string | null;
  ipAddress: string | null;
  userAgent: string | null;
}

/** Where a request came from, for audit rows and the login limiter. */
export interface RequestOrigin {
  ipAddress: string | null;
  userAgent: string | null;
}

/**
 * Docker as /readyz reports it: injection works on every engine when 'available', on those
 * listed as available in `hosts` when 'degraded', nowhere when 'unavailable'.
 */
export interface DockerState {
  state: 'available' | 'degraded' | 'unavailable';
  detail: string;
  /** Each engine of CREDENTIAL_DOCKER_HOSTS by its address. */
  hosts?: Array<{ host: string; state: 'available' | 'unavailable'; detail: string }>;
}

/** What /readyz asks; both bounded in time by their implementations. */
export interface HealthChecks {
  /** Resolves when a trivial query succeeded; rejects otherwise. */
  database(): Promise<void>;
  docker(): Promise<DockerState>;
}

/** What the routers need of the WorkspaceService (service/workspaces), which throws AppError. */
export interface WorkspacePort {
  list(caller: Caller): Promise<Workspace[]>;
  inject(caller: Caller, workspaceId: string): Promise<InjectResult>;
  clear(caller: Caller, workspaceId: string): Promise<ClearResult>;
  clearAllForUser(caller: Caller): Promise<{ workspacesCleared: number }>;
}

export interface ServiceDeps {
  config: Config;
  logger: Logger;
  health: HealthChecks;
  store: Store;
  keyring: KeyRing;
  /** Null when Docker did not answer at start-up: workspace calls answer SERVICE_UNAVAILABLE. */
  workspaces: WorkspacePort | null;
}

/** What every domain function receives for an authenticated call. */
export interface DomainContext {
  deps: ServiceDeps;
  caller: Caller;
}
