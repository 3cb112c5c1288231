// Finds the workspace user's uid, gid and home in a container's /etc/passwd, the same way the
// container's own login would.
import type { WorkspaceUser } from './content';

/** The entry for `name`, or null; lines that are not well formed are skipped. */
export function findPasswdUser(passwd: string, name: string): WorkspaceUser | null {
  for (const line of passwd.split('\n')) {
    const f = line.split(':');
    if (f.length < 7 || f[0] !== name) continue;
    const uid = Number(f[2]);
    const gid = Number(f[3]);
    const home = f[5] ?? '';
    if (!Number.isInteger(uid) || !Number.isInteger(gid) || uid < 0 || gid < 0) return null;
    const clean = home.replace(/\/+$/, '');
    // A home of "/" (or a relative one) is no place for dotfiles; refuse rather than guess.
    if (!clean.startsWith('/') || clean.split('/').includes('..')) return null;
    return { name, uid, gid, home: clean };
  }
  return null;
}
