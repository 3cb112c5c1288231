// What one doctor check reports: a status, what it found, and for warn/fail what to do about it.
export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface CheckResult {
  /** Short name of what was checked: `configuration`, `key`, `database`, `docker`, `provider github`, `tls`. */
  name: string;
  status: CheckStatus;
  /** What was found, in words an operator understands; never a secret. */
  message: string;
  /** What to change to fix a warn or fail. */
  fix?: string;
}

/** How long any one probe (a connection, a request, a query) may wait. */
export const PROBE_TIMEOUT_MS = 5000;
