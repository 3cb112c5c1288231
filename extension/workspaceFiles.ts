// What a workspace container holds for the extension after injection (contract section 6):
// the workspace session token, the service URL as seen from inside, and the `~/.env` of AI keys.
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const XARES_DIR = path.join('.config', 'xares');
/** Larger files are not ours: refuse to read them rather than hold them in memory. */
const MAX_FILE_BYTES = 64 * 1024;

async function readSmall(file: string): Promise<string | undefined> {
  try {
    const text = await readFile(file, 'utf8');
    return text.length > MAX_FILE_BYTES ? undefined : text;
  } catch {
    return undefined; // absent or unreadable: not a workspace, or not injected yet
  }
}

export async function readWorkspaceToken(home = os.homedir()): Promise<string | undefined> {
  const text = (await readSmall(path.join(home, XARES_DIR, 'workspace-token')))?.trim();
  return text && !/[\s\0]/.test(text) ? text : undefined;
}

export async function readInjectedServiceUrl(home = os.homedir()): Promise<string | undefined> {
  const text = (await readSmall(path.join(home, XARES_DIR, 'service-url')))?.trim();
  if (!text) return undefined;
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? text : undefined;
  } catch {
    return undefined;
  }
}

/** Contract section 7: the setting, else XARES_WORKSPACE_ID, else the container's hostname. */
export function defaultWorkspaceId(
  setting: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  hostname: string = os.hostname(),
): string {
  return setting?.trim() || env.XARES_WORKSPACE_ID?.trim() || hostname;
}

/**
 * Parses the injected `~/.env`: lines `export NAME='value'` with POSIX single quoting
 * (`'\''` for a quote inside). Anything else is skipped, never evaluated.
 */
export function parseInjectedEnv(text: string): Map<string, string> {
  const vars = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue;
    const value = unquotePosix(m[2]!.trim());
    if (value !== undefined) vars.set(m[1]!, value);
  }
  return vars;
}

function unquotePosix(raw: string): string | undefined {
  let out = '';
  let i = 0;
  while (i < raw.length) {
    if (raw[i] === "'") {
      const end = raw.indexOf("'", i + 1);
      if (end < 0) return undefined;
      out += raw.slice(i + 1, end);
      i = end + 1;
    } else if (raw.startsWith("\\'", i)) {
      out += "'";
      i += 2;
    } else if (/[A-Za-z0-9_./:@%+,-]/.test(raw[i]!)) {
      out += raw[i];
      i++;
    } else {
      return undefined; // anything needing a shell to interpret is not ours to guess at
    }
  }
  return out;
}

export async function readInjectedEnv(home = os.homedir()): Promise<Map<string, string>> {
  const text = await readSmall(path.join(home, '.env'));
  return text ? parseInjectedEnv(text) : new Map();
}
