// What the domain functions need from the running service, and who is calling: passed in by the
// routers (from the tRPC context), so the domain code never reads globals.
import type { Config } from '../config';
import type { Logger } from '../logger';

export type Role = 'admin' | 'user';
export type SessionKind = 'user' | 'workspace';

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

/** Docker as /readyz reports it: injection works only when it is 'available'. */
export interface DockerState {
  state: 'available' | 'unavailable';
  detail: string;
}

/** What /readyz asks; both bounded in time by their implementations. */
export interface HealthChecks {
  /** Resolves when a trivial query succeeded; rejects otherwise. */
  database(): Promise<void>;
  docker(): Promise<DockerState>;
}

export interface ServiceDeps {
  config: Config;
  logger: Logger;
  health: HealthChecks;
}

/** What every domain function receives for an authenticated call. */
export interface DomainContext {
  deps: ServiceDeps;
  caller: Caller;
}
