// Everything injection and clear look at and change in a workspace goes through ONE exec run as
// the workspace user (never root): a small sh script, started before the content is known, that
// finds the user's home in /etc/passwd, stats the paths a plan can touch, answers the reads the
// service then asks for (dotfiles, files to compare, links resolved), and finally checks every
// directory on the way to each path, extracts our tar archive from stdin and removes files. As
// the user, a link the user planted can at worst lead to a place the user can write or read
// anyway; the checks refuse even that, so nothing is written through a link or outside the home.
import type Docker from 'dockerode';
import { AppError } from '../errors';
import type { WorkspaceUser } from './content';
import { mapDockerError, startExecSession, type ExecSession } from './docker';
import type { PathStat } from './manifest';
import { findPasswdUser } from './passwd';

/**
 * $1 the login user's name, $2 dotfiles to read at once (space-separated), then paths (relative
 * to the home) to stat. Prints "passwd LINE" (its /etc/passwd entry), one "stat ..." line per
 * path that exists, "eager PATH..." with the bytes of those of the dotfiles that are regular
 * files of the user's, one after the other, as od hex lines and "eof" (saving the first
 * injection a round trip and a process per file), then "xares-ready"; then answers commands read
 * from stdin, one per line:
 * - `read PATH`: "file", its bytes as od hex lines, "eof" (a regular file of the user's);
 *   "notmine" (someone else's) or "none";
 * - `link PATH`: where a symbolic link leads, resolved by the user: "link TARGET" (relative to
 *   the home), its octal mode, od lines, "eof"; or "outside", "notmine", "notfile";
 * - `write SIZE POLICY`, the archive's paths one a line, "--", the paths to remove, ".", then
 *   SIZE bytes of tar archive: a path is bad when a directory above it (or the directory itself,
 *   for one ending in '/') is a symbolic link or not a directory, each printed as "link DIR" or
 *   "notdir DIR"; or when a file path is a directory, "dir PATH". POLICY `refuse` (inject): any
 *   bad path refuses everything; `skip` (clear): a bad path is left out. Removals are relative;
 *   a directory ends in '/' and is removed only when empty.
 * The outcome is the last line, "xares-exit N", so no call is needed to ask the engine for an
 * exit code: 0 done, 3 refused, 4 a command missing ("missing NAME" before it), 90 no home,
 * 91 no such user, 99 the service went away before saying what to write (nothing written).
 * GNU tar and busybox tar both unlink a file before writing it, so a link in the place of a
 * file is replaced, not followed; `-p` keeps the modes of the archive whatever the umask.
 * The archive is read by its size (`head -c`), not to the end of stdin: closing only our side
 * of the connection does not pass every proxy in front of an engine. `read` takes stdin a byte
 * at a time, so the archive after the last line is left for `head`.
 */
/** Bytes read at once, at most: past it (a huge dotfile) each file is read on its own, if at all. */
const EAGER_CAP = 512 * 1024 + 1;

const SCRIPT = `
done_() { printf 'xares-exit %s\\n' "$1"; exit 0; }
name=$1; eager=$2; shift 2
line=
while IFS= read -r l || [ -n "$l" ]; do
  case $l in "$name":*) line=$l; break ;; esac
done </etc/passwd
[ -n "$line" ] || done_ 91
printf 'passwd %s\\n' "$line"
home=\${line#*:*:*:*:*:}
home=\${home%%:*}
case $home in /*) ;; *) done_ 90 ;; esac
cd -- "$home" 2>/dev/null || done_ 90
for t in stat od tar head readlink; do
  command -v $t >/dev/null 2>&1 || { printf 'missing %s\\n' $t; done_ 4; }
done
[ $# -gt 0 ] && stat -c 'stat %f %s %Y %u %y|%n' -- "$@" 2>/dev/null
e=
for f in $eager; do
  if [ -f "$f" ] && [ ! -L "$f" ] && [ -O "$f" ] && [ -r "$f" ]; then e="$e $f"; fi
done
if [ -n "$e" ]; then
  printf 'eager%s\\n' "$e"; od -An -v -tx1 -N ${EAGER_CAP} -- $e 2>/dev/null; printf 'eof\\n'
fi
printf 'xares-ready\\n'
hp=
readfile() {
  if [ -f "$1" ] && [ ! -L "$1" ]; then
    [ -O "$1" ] || { printf 'notmine\\n'; return; }
    if [ -r "$1" ]; then printf 'file\\n'; od -An -v -tx1 <"$1"; printf 'eof\\n'; return; fi
  fi
  printf 'none\\n'
}
linkfile() {
  [ -n "$hp" ] || hp=$(pwd -P)
  t=$(readlink -f -- "$1") || { printf 'notfile\\n'; return; }
  case $t in "$hp"/*) ;; *) printf 'outside\\n'; return ;; esac
  case $t in *'
'*) printf 'notfile\\n'; return ;; esac
  if [ -f "$t" ] && [ ! -L "$t" ]; then
    [ -O "$t" ] || { printf 'notmine\\n'; return; }
    m=$(stat -c %a -- "$t") && [ -r "$t" ] || { printf 'notfile\\n'; return; }
    printf 'link %s\\n%s\\n' "\${t#"$hp"/}" "$m"; od -An -v -tx1 <"$t"; printf 'eof\\n'
  else
    printf 'notfile\\n'
  fi
}
check() {
  p=''; rest=$1
  while :; do
    case $rest in */*) c=\${rest%%/*}; rest=\${rest#*/} ;; *) return 0 ;; esac
    p=\${p:+$p/}$c
    if [ -L "$p" ]; then printf 'link %s\\n' "$p"; return 1; fi
    if [ -e "$p" ] && [ ! -d "$p" ]; then printf 'notdir %s\\n' "$p"; return 1; fi
  done
}
w=
while IFS= read -r cmd; do
  case $cmd in
    'read '*) readfile "\${cmd#read }" ;;
    'link '*) linkfile "\${cmd#link }" ;;
    'write '*) w=\${cmd#write }; break ;;
    *) done_ 99 ;;
  esac
done
[ -n "$w" ] || done_ 99
size=\${w%% *}; policy=\${w#* }
case $size in '' | *[!0-9]*) done_ 99 ;; esac
bad=0; ok=
while IFS= read -r f; do
  [ "$f" = -- ] && { ok=1; break; }
  check "$f" || bad=1
  case $f in */) ;; *) if [ -d "$f" ] && [ ! -L "$f" ]; then printf 'dir %s\\n' "$f"; bad=1; fi ;; esac
done
[ -n "$ok" ] || done_ 99
set --; ok=
while IFS= read -r f; do
  [ "$f" = . ] && { ok=1; break; }
  set -- "$@" "$f"
done
[ -n "$ok" ] || done_ 99
if [ $bad = 1 ] && [ "$policy" = refuse ]; then done_ 3; fi
if [ $bad = 0 ]; then
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

/** What a `read` or `link` command found. */
export type ReadResult =
  | { kind: 'file'; content: Buffer }
  | { kind: 'inside'; target: string; mode: number; content: Buffer }
  | { kind: 'none' | 'notmine' | 'outside' | 'notFile' };

export interface ReadRequest {
  /** `read`: a regular file of the user's; `link`: where a symbolic link leads (inside the home). */
  kind: 'read' | 'link';
  path: string;
}

/** A login name the engine looks up by name only (no uid, no group, nothing to misread). */
const LOGIN_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/;
/** One of our relative paths, safe on one line of the script's input. */
const SAFE_PATH = /^[^\n\r\0]+$/;
/** A dotfile name, safe in a space-separated list the script splits. */
const PLAIN_NAME = /^[A-Za-z0-9._-]+$/;

function noUser(name: string): AppError {
  return new AppError('BAD_REQUEST', `The workspace has no user "${name}" with a home directory`);
}

/** `stat -c '%f %s %Y %u %y|%n'`: raw mode in hex, size, mtime, owner, mtime as text, path. */
function parseStat(line: string): { path: string; stat: PathStat; uid: number } | null {
  const m = /^stat ([0-9a-f]+) (\d+) (-?\d+) (\d+) ([^|]*)\|(.+)$/.exec(line);
  if (!m) return null;
  const raw = Number.parseInt(m[1]!, 16);
  const type = raw & 0o170000;
  // The fraction of the second, as the engine's stat gave it (nanoseconds in %y).
  const fraction = /\.(\d+)/.exec(m[5]!)?.[1];
  return {
    path: m[6]!,
    uid: Number(m[4]),
    stat: {
      size: Number(m[2]),
      mode: raw & 0o7777,
      mtime: Number(m[3]) * 1000 + (fraction ? Number(`0.${fraction}`) * 1000 : 0),
      isDir: type === 0o040000,
      isLink: type === 0o120000,
    },
  };
}

/**
 * The dotfiles read at once, cut by their stat sizes: only when every one is a regular file of
 * the user's and the bytes add up (a file changed in between, or larger than the cap: none).
 */
function splitEager(
  names: string[],
  bytes: Buffer | null,
  stats: Map<string, UserStat | null>,
  user: WorkspaceUser,
  asked: string[],
): Map<string, Buffer> {
  const eager = new Map<string, Buffer>();
  if (!bytes || names.length === 0) return eager;
  let offset = 0;
  for (const name of names) {
    const st = stats.get(name);
    if (!asked.includes(name) || !st || st.isDir || st.isLink || st.uid !== user.uid) {
      return new Map();
    }
    eager.set(name, bytes.subarray(offset, offset + st.size));
    offset += st.size;
  }
  return offset === bytes.length ? eager : new Map();
}

/** od -An -tx1 lines back to bytes. */
function fromOd(lines: string[]): Buffer | null {
  const hex = lines.join('').replace(/\s+/g, '');
  if (!/^(?:[0-9a-f]{2})*$/.test(hex)) return null;
  return Buffer.from(hex, 'hex');
}

/** A stat of a path as the workspace user sees it, with the owner's uid. */
export type UserStat = PathStat & { uid: number };

/**
 * One exec in the workspace as its login user (see SCRIPT). Opened with the paths to stat; then
 * reads, then one write, then closed. Closing before the write leaves the workspace untouched.
 */
export class WorkspaceSession {
  private constructor(
    private readonly exec: ExecSession,
    readonly user: WorkspaceUser,
    /** Every path asked for: null when it does not exist. */
    readonly stats: Map<string, UserStat | null>,
    private readonly eager: Map<string, Buffer>,
  ) {}

  /**
   * The content of a dotfile read at once, when it is a regular file of the user's whose size is
   * still the one its stat gave (else the caller asks with `read`).
   */
  eagerRead(path: string): Buffer | undefined {
    return this.eager.get(path);
  }

  /**
   * Starts the script as `loginName` (looked up by the engine in the container's /etc/passwd)
   * and reads its user and stats. A name the engine would read as a uid is refused.
   */
  static async open(
    container: Docker.Container,
    loginName: string,
    statPaths: string[],
    /** Dotfiles (also in `statPaths`) whose content is wanted whatever their stat says. */
    eagerPaths: string[] = [],
  ): Promise<WorkspaceSession> {
    if (!LOGIN_NAME.test(loginName)) throw noUser(loginName);
    const paths = [...new Set(statPaths)];
    for (const p of paths) if (!SAFE_PATH.test(p)) throw new Error(`bad path ${p}`);
    const eagerAsked = eagerPaths.filter((p) => PLAIN_NAME.test(p) && paths.includes(p));
    const exec = await startExecSession(container, loginName, [
      'sh',
      '-c',
      SCRIPT,
      'xares-write',
      loginName,
      eagerAsked.join(' '),
      ...paths,
    ]);
    try {
      const stats = new Map<string, UserStat | null>(paths.map((p) => [p, null]));
      let user: WorkspaceUser | null = null;
      let eagerLine: string[] = [];
      let eagerBytes: Buffer | null = null;
      for (;;) {
        const line = await next(exec);
        if (line === 'xares-ready') break;
        if (line.startsWith('eager ')) {
          eagerLine = line.slice('eager '.length).split(' ');
          const lines: string[] = [];
          for (let l = await next(exec); l !== 'eof'; l = await next(exec)) lines.push(l);
          eagerBytes = fromOd(lines);
          continue;
        }
        if (line.startsWith('passwd ')) {
          user = findPasswdUser(line.slice('passwd '.length), loginName);
          if (!user) throw noUser(loginName);
          continue;
        }
        const st = parseStat(line);
        if (st && stats.has(st.path)) {
          stats.set(st.path, { ...st.stat, uid: st.uid });
          continue;
        }
        throw failure(exec, line, loginName, user);
      }
      if (!user) throw noUser(loginName);
      const eager = splitEager(eagerLine, eagerBytes, stats, user, eagerAsked);
      return new WorkspaceSession(exec, user, stats, eager);
    } catch (e) {
      exec.close();
      throw e;
    }
  }

  /** Answers the requests in order, in one round trip. */
  async read(requests: ReadRequest[]): Promise<ReadResult[]> {
    if (requests.length === 0) return [];
    for (const r of requests) if (!SAFE_PATH.test(r.path)) throw new Error(`bad path ${r.path}`);
    this.exec.send(requests.map((r) => `${r.kind} ${r.path}\n`).join(''));
    const results: ReadResult[] = [];
    for (const r of requests) {
      const first = await next(this.exec);
      if (r.kind === 'read' && first === 'file') {
        const content = fromOd(await this.untilEof());
        results.push(content ? { kind: 'file', content } : { kind: 'none' });
      } else if (r.kind === 'link' && first.startsWith('link ')) {
        const target = first.slice('link '.length);
        const mode = Number.parseInt(await next(this.exec), 8);
        const content = fromOd(await this.untilEof());
        const usable =
          content !== null && target !== '' && !target.split('/').includes('..') && mode >= 0;
        results.push(usable ? { kind: 'inside', target, mode, content } : { kind: 'notFile' });
      } else if (['none', 'notmine', 'outside', 'notfile'].includes(first)) {
        results.push({ kind: first === 'notfile' ? 'notFile' : (first as 'none') });
      } else {
        throw failure(this.exec, first, this.user.name, this.user);
      }
    }
    return results;
  }

  private async untilEof(): Promise<string[]> {
    const lines: string[] = [];
    for (let line = await next(this.exec); line !== 'eof'; line = await next(this.exec)) {
      lines.push(line);
    }
    return lines;
  }

  /**
   * Checks, extracts `archive` (entries relative to the home, listed in `paths`) and removes
   * `removals`. With `refuse`, a bad path throws CONFLICT and nothing is written or removed.
   */
  async write(
    archive: Buffer,
    paths: string[],
    removals: string[],
    policy: 'refuse' | 'skip',
  ): Promise<WriteOutcome> {
    for (const p of [...paths, ...removals]) {
      if (!SAFE_PATH.test(p) || p === '--' || p === '.') throw new Error(`bad path ${p}`);
    }
    const header = [`write ${archive.length} ${policy}`, ...paths, '--', ...removals, '.', ''];
    this.exec.send(Buffer.concat([Buffer.from(header.join('\n'), 'utf8'), archive]));
    const seen = new Map<string, Refusal>();
    let code = -1;
    for (;;) {
      const line = await this.exec.lines.next().catch((e: unknown) => mapDockerError(e));
      if (line === null) break;
      const exit = /^xares-exit (\d+)$/.exec(line);
      if (exit) {
        code = Number(exit[1]);
        break;
      }
      const m = /^(link|notdir|dir) (.+)$/.exec(line);
      if (m) seen.set(m[2]!, m[1] as Refusal);
    }
    const refused = [...seen].map(([dir, why]) => ({ dir, why }));
    if (code === 3) throw new AppError('CONFLICT', refusalMessage(refused));
    if (code === -1) {
      // The script did not get to its end (killed, or the engine went away).
      throw new ExecInterrupted(
        `writing in the workspace ended early: ${this.exec.stderr().trim()}`,
      );
    }
    if (code !== 0) {
      throw new Error(
        `writing in the workspace failed (exit ${code}): ${this.exec.stderr().trim()}`,
      );
    }
    return { refused, extracted: refused.length === 0 };
  }

  /** Ends the exec; before a write, the script then stops without changing anything. */
  close(): void {
    this.exec.close();
  }
}

/**
 * The engine ended the command before the script's last line (its output stopped, or the runtime
 * could not start it: "read init-p: connection reset by peer"), as it does under load or when
 * something in the workspace kills it. Nothing says the attempt got anywhere; the same call may
 * be sent again (WorkspaceOperations answers SERVICE_UNAVAILABLE).
 */
export class ExecInterrupted extends Error {
  override name = 'ExecInterrupted';
}

/** The next line; the end of the output before the script's last line is a failure. */
async function next(exec: ExecSession): Promise<string> {
  const line = await exec.lines.next().catch((e: unknown) => mapDockerError(e));
  if (line === null) {
    throw new ExecInterrupted(`the command in the workspace ended early: ${exec.stderr().trim()}`);
  }
  return line;
}

/** What an unexpected line means: the script's own exit, or output it should not print. */
function failure(exec: ExecSession, line: string, name: string, user: WorkspaceUser | null): Error {
  const missing = /^missing (\w+)$/.exec(line);
  if (missing) {
    return new AppError(
      'BAD_REQUEST',
      `The workspace image has no ${missing[1]} command; injection needs sh, tar, head, stat, od ` +
        'and readlink (GNU or busybox) in the image',
    );
  }
  const code = /^xares-exit (\d+)$/.exec(line)?.[1];
  if (code === '91') return noUser(name);
  if (code === '90') {
    return new AppError('NOT_FOUND', `The workspace user's home ${user?.home ?? ''} is not there`);
  }
  // The engine prints why it could not start the command (an unknown user, for one) instead.
  if (/unable to find user|no matching entries in passwd/i.test(line + exec.stderr())) {
    return noUser(name);
  }
  // The runtime failed to start the process for a reason of its own (not a missing command).
  if (/OCI runtime exec failed.*(connection reset by peer|read init-p|: EOF\b)/i.test(line)) {
    return new ExecInterrupted(`the engine could not start the command: ${line.slice(0, 200)}`);
  }
  return new Error(`unexpected output from the command in the workspace: ${line.slice(0, 200)}`);
}
