// Everything injection and clear change in a workspace goes through ONE exec run as the
// workspace user (never root): a small sh script that checks every directory on the way to each
// path, then extracts our tar archive from stdin, then removes files. As the user, a link the
// user planted can at worst lead to a place the user can write anyway; the check refuses even
// that, so nothing is written through a link or outside the home.
import type Docker from 'dockerode';
import { AppError } from '../errors';
import { execAsUser } from './docker';

export interface WorkspaceTarget {
  container: Docker.Container;
  user: { uid: number; gid: number; home: string };
}

/**
 * $1 the home, $2 the archive's size in bytes, $3 `refuse` (inject: any bad path refuses
 * everything) or `skip` (clear: a bad path is left out), then the archive's paths, `--`, and the
 * paths to remove (relative; a directory ends in '/' and is removed only when empty). A path is
 * bad when a directory above it (or the directory itself, for one ending in '/') is a symbolic
 * link or not a directory, each printed as "link DIR" or "notdir DIR"; or when a file path is a
 * directory, "dir PATH" (tar would fail on it; the engine's upload used to delete it).
 * The outcome is the last line, "xares-exit N", so no call is needed to ask the engine for an
 * exit code: 0 done, 3 refused, 4 no tar, 5 tar failed, 90 no home.
 * GNU tar and busybox tar both unlink a file before writing it, so a link in the place of a
 * file is replaced, not followed; `-p` keeps the modes of the archive whatever the umask.
 * The archive is read by its size (`head -c`), not to the end of stdin: closing only our side
 * of the connection does not pass every proxy in front of an engine.
 */
const SCRIPT = `
done_() { printf 'xares-exit %s\\n' "$1"; exit 0; }
cd -- "$1" || done_ 90
size=$2; policy=$3; shift 3
check() {
  p=''; rest=$1
  while :; do
    case $rest in */*) c=\${rest%%/*}; rest=\${rest#*/} ;; *) return 0 ;; esac
    p=\${p:+$p/}$c
    if [ -L "$p" ]; then printf 'link %s\\n' "$p"; return 1; fi
    if [ -e "$p" ] && [ ! -d "$p" ]; then printf 'notdir %s\\n' "$p"; return 1; fi
  done
}
bad=0
while [ $# -gt 0 ] && [ "$1" != -- ]; do
  check "$1" || bad=1
  case $1 in */) ;; *) if [ -d "$1" ] && [ ! -L "$1" ]; then printf 'dir %s\\n' "$1"; bad=1; fi ;; esac
  shift
done
[ $# -gt 0 ] && shift
if [ $bad = 1 ] && [ "$policy" = refuse ]; then done_ 3; fi
if [ $bad = 0 ]; then
  command -v tar >/dev/null 2>&1 || done_ 4
  head -c "$size" | tar -x -p -f - || done_ 5
fi
for f do
  check "$f" >/dev/null || continue
  case $f in */) rmdir -- "$f" 2>/dev/null ;; *) rm -f -- "$f" ;; esac
done
done_ 0
`;

type Refusal = 'link' | 'notdir' | 'dir';

export interface WriteOutcome {
  /** Directories (relative to the home) that were links or not directories. */
  refused: Array<{ dir: string; why: Refusal }>;
  /** False when the archive was left out (clear, with a refused path). */
  extracted: boolean;
}

function parseRefused(stdout: Buffer): WriteOutcome['refused'] {
  const seen = new Map<string, Refusal>();
  for (const line of stdout.toString('utf8').split('\n')) {
    const m = /^(link|notdir|dir) (.+)$/.exec(line);
    if (m) seen.set(m[2]!, m[1] as Refusal);
  }
  return [...seen].map(([dir, why]) => ({ dir, why }));
}

const SAID: Record<Refusal, string> = {
  link: 'is a symbolic link',
  notdir: 'is not a directory',
  dir: 'is a directory where the injection writes a file',
};

/** The sentence the API answers when an injection would have gone through a link. */
export function refusalMessage(refused: WriteOutcome['refused']): string {
  const what = refused.map((r) => `~/${r.dir} ${SAID[r.why]}`).join(', ');
  return (
    `Nothing was injected: ${what}. Injection writes only into real directories of the ` +
    'workspace home, never through a link; make it a directory (or move it away) and inject again'
  );
}

/**
 * Checks, extracts `archive` (entries relative to the home, listed in `paths`) and removes
 * `removals`, in one exec as the workspace user. With `refuse`, a bad path throws CONFLICT and
 * nothing is written or removed.
 */
export async function writeAsUser(
  t: WorkspaceTarget,
  archive: Buffer,
  paths: string[],
  removals: string[],
  policy: 'refuse' | 'skip',
): Promise<WriteOutcome> {
  const size = String(archive.length);
  const argv = ['sh', '-c', SCRIPT, 'xares-write', t.user.home, size, policy, ...paths, '--'];
  const r = await execAsUser(t.container, t.user, [...argv, ...removals], archive, {
    inspect: false,
  });
  const refused = parseRefused(r.stdout);
  const code = Number(/^xares-exit (\d+)$/m.exec(r.stdout.toString('utf8'))?.[1] ?? -1);
  if (code === 3) throw new AppError('CONFLICT', refusalMessage(refused));
  if (code === 4) {
    throw new AppError(
      'BAD_REQUEST',
      'The workspace image has no tar command; injection needs tar (GNU or busybox) in the image',
    );
  }
  if (code === 90) {
    throw new AppError('NOT_FOUND', `The workspace user's home ${t.user.home} is not there`);
  }
  if (code !== 0) {
    // -1: the script did not get to its end (killed, or no sh in the image)
    throw new Error(`writing in the workspace failed (exit ${code}): ${r.stderr.trim()}`);
  }
  return { refused, extracted: refused.length === 0 };
}

/**
 * $1 the home, $2 a path relative to it that is a symbolic link: resolved by the workspace
 * user; exit 3 when it ends outside the home, 4 when it is not a regular file. Else stdout is
 * "TARGET\\nMODE\\n" (target relative to the home, octal mode) and then the file's content.
 */
const RESOLVE = `
cd -- "$1" || exit 90
home=$(pwd -P)
t=$(readlink -f -- "$2") || exit 4
case $t in "$home"/*) ;; *) exit 3 ;; esac
[ -f "$t" ] && [ ! -L "$t" ] || exit 4
m=$(stat -c %a -- "$t") || exit 4
printf '%s\\n%s\\n' "\${t#"$home"/}" "$m"
exec cat -- "$t"
`;

export type LinkedFile =
  | { kind: 'inside'; target: string; mode: number; content: string }
  | { kind: 'outside' }
  | { kind: 'notFile' };

/**
 * Where a linked dotfile leads, read as the workspace user (never by root, which would read
 * whatever the user points the link at): the target inside the home, with its mode and content.
 */
export async function readLinkedFile(t: WorkspaceTarget, rel: string): Promise<LinkedFile> {
  const r = await execAsUser(t.container, t.user, [
    'sh',
    '-c',
    RESOLVE,
    'xares-link',
    t.user.home,
    rel,
  ]);
  if (r.code === 3) return { kind: 'outside' };
  if (r.code !== 0) return { kind: 'notFile' };
  const out = r.stdout;
  const first = out.indexOf(10);
  const second = out.indexOf(10, first + 1);
  const target = out.subarray(0, first).toString('utf8');
  const mode = Number.parseInt(out.subarray(first + 1, second).toString('utf8'), 8);
  if (
    first < 0 ||
    second < 0 ||
    target === '' ||
    target.split('/').includes('..') ||
    !(mode >= 0)
  ) {
    return { kind: 'notFile' };
  }
  return { kind: 'inside', target, mode, content: out.subarray(second + 1).toString('utf8') };
}
