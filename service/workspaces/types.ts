// The workspace module's vocabulary, declared once: who calls (the domain's Caller), what the
// service answers (the API's types), what it is built from, and what one injection wrote
// (the manifest, whose stored form manifest.ts parses).
import type Docker from 'dockerode';
import type { Config } from '../config';
import type { KeyRing } from '../crypto/keyring';
import type { Caller, WorkspacePort } from '../domain/deps';
import type { Logger } from '../logger';
import type { Store } from '../store/database';
import type { DockerHost } from './hosts';

/** The authenticated caller, as the domain passes it. */
export type WorkspaceCaller = Caller;

// The answers are the API's types, taken through the port the domain declares for this
// service (domain/deps.ts), so this layer never imports the routers or the API contract's
// location; WorkspaceService implements that port, so the compiler holds the two together.

/** One of the caller's workspaces, as workspaces.list answers it. */
export type WorkspaceSummary = Awaited<ReturnType<WorkspacePort['list']>>[number];

/** What workspaces.inject answers. */
export type InjectResult = Awaited<ReturnType<WorkspacePort['inject']>>;

/** What workspaces.clear answers. */
export type ClearResult = Awaited<ReturnType<WorkspacePort['clear']>>;

export interface WorkspaceServiceDeps {
  store: Store;
  keyring: KeyRing;
  /** The engines served; default: a client for each of config.dockerHosts. */
  hosts?: readonly DockerHost[];
  /** One engine, for callers that have a client already: named config.dockerHosts[0]. */
  docker?: Docker;
  config: Config;
  logger: Logger;
  /**
   * The service's own URL, for .config/xares/service-url when CREDENTIAL_PUBLIC_URL is unset (a
   * function, since with port 0 it is known only once listening). Default: from host and port.
   */
  serviceUrl?: string | (() => string);
}

/** One path an injection wrote, with what lets clear recognise it unchanged. */
export interface ManifestEntry {
  /** Relative to the workspace user's home. */
  path: string;
  /** `file`: written whole; `edit`: a block added to the user's file; `dir`: a directory. */
  kind: 'file' | 'edit' | 'dir';
  sha256: string;
  mode: number;
  size: number;
  /**
   * Epoch ms: the whole-second time we set on a file we wrote, or the time a dotfile we left as
   * it was had (a fraction of a ms when the file system keeps nanoseconds); with size, a quick
   * change check. Not an integer then: a fraction here must not make the manifest unreadable.
   */
  mtime: number;
  /** edit and dir: the file or directory did not exist before an injection created it. */
  created: boolean;
  /** file: replaced only while unchanged by the user (AI tool configuration). */
  userEditable: boolean;
  /** edit of a dotfile that is a symbolic link: the file inside the home it pointed at. */
  linkTarget?: string | undefined;
}

/** What applying an injection plan did to the container (injector.ts). */
export interface AppliedInjection {
  manifest: ManifestEntry[];
  /** Paths written (relative to home). */
  written: string[];
  /** User-editable files left alone because the user changed them. */
  keptUserChanges: string[];
  /** Dotfiles left alone, each with the reason (a link to outside the home, ...). */
  notes: string[];
}

/** What clearing an injection removed, and what it left because the user changed it. */
export interface ClearedInjection {
  removed: string[];
  keptUserChanges: string[];
}
