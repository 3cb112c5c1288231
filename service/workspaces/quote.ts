// Quoting of values for each format a workspace file is written in, so a secret or a name can
// never end a string early and run as code (POSIX sh, git config, JSON, YAML).
import { isAllowedEnvVar } from '../envNames';

/** True when a value holds a control character, which none of our formats should carry raw. */
export function hasControlChar(value: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f\u007f]/.test(value);
}

/** POSIX sh single-quoting: nothing inside '…' is special except ', written as '\''. */
export function shQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** A git config value in double quotes, with git's escapes; control characters are refused. */
export function gitConfigQuote(value: string): string {
  if (hasControlChar(value)) throw new Error('a git config value cannot hold control characters');
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * A YAML double-quoted scalar. JSON's string syntax is a subset of YAML's double-quoted style, so
 * JSON.stringify's escaping (quotes, backslashes, control characters) is exact for YAML too.
 */
export function yamlQuote(value: string): string {
  return JSON.stringify(value);
}

/** Names that would change how every program in the workspace runs; never set from a key. */
/** An environment variable name a custom AI key may be exported under. */
export function isSafeEnvName(name: string): boolean {
  // The one allow-list (service/envNames.ts) the API enforces when the key is saved: rows
  // stored before it are still refused here.
  return isAllowedEnvVar(name);
}
