// Applies an injection plan to a container and undoes it: cheap stat calls decide what to read,
// then ONE exec run as the workspace user checks every directory on the way, extracts the tar
// archive it reads from stdin and deletes what is no longer wanted (asUser.ts). Nothing is
// written by root, and nothing through a link the user planted.
import type Docker from 'dockerode';
import { AppError } from '../errors';
import { packArchive, type ArchiveEntry } from './archive';
import { AI_TOOL_PATHS } from './aiConfig';
import { readLinkedFile, writeAsUser } from './asUser';
import { PLAN_DIRS, pickLoginFile, type InjectionPlan, type WorkspaceUser } from './content';
import { readFile, readFileOwned, statPath } from './docker';
import { ensureBlock, stripBlock } from './dotfiles';
import { sha256, statMatches, type ManifestEntry, type PathStat } from './manifest';
import { findPasswdUser } from './passwd';
import type { AppliedInjection, ClearedInjection } from './types';

export interface Target {
  container: Docker.Container;
  user: WorkspaceUser;
}

const LOGIN_FILES = ['.bash_profile', '.bash_login', '.profile'];
/** Our own directories: always in the archive, so their owner and mode are what we say. */
const FORCED_DIRS = new Set(['.ssh', '.config/xares']);

/** The workspace user's uid, gid and home from the container's /etc/passwd. */
export async function loadWorkspaceUser(
  container: Docker.Container,
  name: string,
): Promise<WorkspaceUser> {
  const passwd = await readFile(container, '/etc/passwd');
  const user = passwd ? findPasswdUser(passwd.toString('utf8'), name) : null;
  if (!user) {
    throw new AppError('BAD_REQUEST', `The workspace has no user "${name}" with a home directory`);
  }
  return user;
}

const abs = (t: Target, rel: string) => `${t.user.home}/${rel}`;

async function statAll(
  container: Docker.Container,
  home: string,
  paths: string[],
): Promise<Map<string, PathStat | null>> {
  const unique = [...new Set(paths)];
  const stats = await Promise.all(unique.map((p) => statPath(container, `${home}/${p}`)));
  return new Map(unique.map((p, i) => [p, stats[i] ?? null]));
}

/** Whole seconds: what a tar header can carry, so the mtime we record is the one on disk. */
function archiveTime(now: Date): Date {
  return new Date(Math.floor(now.getTime() / 1000) * 1000);
}

/** A mode we may write: the user's own bits kept, never world-writable, never setuid. */
const safeMode = (mode: number) => mode & 0o775;

/** The archive's paths as the write script checks them (a directory ends in '/'). */
const archivePaths = (entries: ArchiveEntry[]) =>
  entries.map((e) => (e.type === 'directory' ? `${e.path}/` : e.path));

/** What is read of a dotfile before our block is put in (or taken out of) it. */
type DotfileRead =
  | { kind: 'unchanged'; entry: ManifestEntry }
  | { kind: 'skip'; why?: string }
  | {
      kind: 'read';
      /** The file written: the dotfile itself, or the target of a link to inside the home. */
      path: string;
      text: string | null;
      mode: number | null;
      linkTarget?: string;
    };

/**
 * A dotfile that is a link (GNU stow and the like): its target is edited when it is a regular
 * file inside the home, read as the workspace user; anything else is left alone, saying why.
 */
async function readDotfileLink(t: Target, path: string): Promise<DotfileRead> {
  const link = await readLinkedFile(t, path);
  if (link.kind === 'outside') {
    return { kind: 'skip', why: `left ~/${path} alone: a symbolic link to outside the home` };
  }
  if (link.kind === 'notFile') {
    return { kind: 'skip', why: `left ~/${path} alone: a symbolic link to no regular file` };
  }
  return {
    kind: 'read',
    path: link.target,
    text: link.content,
    mode: link.mode,
    linkTarget: link.target,
  };
}

/**
 * A dotfile directly in the home, read by the engine (as root, which never follows a link in
 * its place): only when it is the workspace user's, else a hard link to a file the user cannot
 * read (/etc/shadow, where the kernel allows such links) would be copied into their home.
 */
async function readDotfile(t: Target, path: string): Promise<DotfileRead> {
  const file = await readFileOwned(t.container, abs(t, path));
  if (file && file.uid !== t.user.uid) {
    return { kind: 'skip', why: `left ~/${path} alone: it belongs to another user` };
  }
  return { kind: 'read', path, text: file?.content.toString('utf8') ?? null, mode: null };
}

/** Whether a file we may replace still holds what we wrote (absent counts as replaceable). */
async function unchangedSince(
  t: Target,
  entry: ManifestEntry | undefined,
  stat: PathStat | null,
): Promise<boolean> {
  if (stat === null) return true;
  // A link where our file was is the user's doing: never read through, never replaced.
  if (!entry || stat.isDir || stat.isLink) return false;
  if (statMatches(entry, stat)) return true;
  const current = await readFile(t.container, abs(t, entry.path));
  return current !== null && sha256(current) === entry.sha256;
}

/**
 * Writes the plan made by `makePlan` (given the login profile the container uses), keeping the
 * user's own lines and changes; `previous` is the manifest of the last injection, if any.
 */
export async function applyInjection<I>(
  source: {
    container: Docker.Container;
    /** The workspace user, still being read from /etc/passwd the first time. */
    user: Promise<WorkspaceUser>;
    /** Where the home probably is, so the stat calls need not wait for /etc/passwd. */
    homeGuess: string;
  },
  input: Promise<I>,
  makePlan: (input: I, loginFile: string, user: WorkspaceUser) => InjectionPlan,
  previous: ManifestEntry[],
  now: Date,
): Promise<AppliedInjection> {
  const prev = new Map(previous.map((e) => [e.path, e]));
  const knownLogin = previous.find((e) => e.kind === 'edit' && LOGIN_FILES.includes(e.path));
  // Directories we created (and our forced ones once seen) are ours: written without a look.
  const ownDir = (d: string) =>
    prev.get(d)?.kind === 'dir' && (FORCED_DIRS.has(d) || prev.get(d)?.created === true);
  const planDirs = PLAN_DIRS.filter((d) => !ownDir(d));
  // The stat calls do not depend on the content, so they run while the keys are fetched (and
  // the session minted): all paths a plan can hold, whatever keys the user has today.
  const statPaths = [
    ...(knownLogin ? [knownLogin.path] : LOGIN_FILES),
    '.gitconfig',
    '.bashrc',
    ...AI_TOOL_PATHS,
    ...planDirs,
    ...previous.filter((e) => e.kind === 'file' && e.userEditable).map((e) => e.path),
  ];
  const [statsResult, inputResult, userResult] = await Promise.allSettled([
    statAll(source.container, source.homeGuess, statPaths),
    input,
    source.user,
  ]);
  // All settled first, so a failure on one side never leaves another running unobserved.
  if (inputResult.status === 'rejected') throw inputResult.reason;
  if (userResult.status === 'rejected') throw userResult.reason;
  if (statsResult.status === 'rejected') throw statsResult.reason;
  const t: Target = { container: source.container, user: userResult.value };
  const stats =
    t.user.home === source.homeGuess
      ? statsResult.value
      : await statAll(t.container, t.user.home, statPaths);
  const login = knownLogin?.path ?? pickLoginFile(new Set(LOGIN_FILES.filter((f) => stats.get(f))));
  const plan = makePlan(inputResult.value, login, t.user);
  const planned = new Set(plan.files.map((f) => f.path));
  const stale = previous.filter((e) => e.kind === 'file' && !planned.has(e.path));
  // Rare (a key was deleted since): look at stale files not looked at yet.
  const unseen = stale.map((e) => e.path).filter((p) => !stats.has(p));
  if (unseen.length > 0) {
    for (const [p, st] of await statAll(t.container, t.user.home, unseen)) stats.set(p, st);
  }

  const mtime = archiveTime(now);
  const entries: ArchiveEntry[] = [];
  const manifest: ManifestEntry[] = [];
  const written: string[] = [];
  const keptUserChanges: string[] = [];
  const notes: string[] = [];
  const fileEntry = (path: string, kind: 'file' | 'edit', mode: number, content: string) => ({
    path,
    kind,
    sha256: sha256(content),
    mode,
    size: Buffer.byteLength(content),
    mtime: mtime.getTime(),
    userEditable: false,
  });

  for (const d of plan.dirs) {
    const existsNow = ownDir(d.path) || Boolean(stats.get(d.path));
    if (ownDir(d.path) || FORCED_DIRS.has(d.path) || !existsNow) {
      entries.push({ path: d.path, type: 'directory', mode: d.mode });
    }
    const created = prev.get(d.path)?.created ?? !existsNow;
    manifest.push({
      path: d.path,
      kind: 'dir',
      sha256: '',
      mode: d.mode,
      size: 0,
      mtime: 0,
      created,
      userEditable: false,
    });
  }

  // The reads this injection needs (user-editable files whose stat changed, dotfiles to edit)
  // all go out together.
  const [userEditableWrites, editReads] = await Promise.all([
    Promise.all(
      plan.files.map((f) =>
        f.policy === 'userEditable'
          ? unchangedSince(t, prev.get(f.path), stats.get(f.path) ?? null)
          : true,
      ),
    ),
    Promise.all(
      plan.edits.map(async (e): Promise<DotfileRead> => {
        const stat = stats.get(e.path) ?? null;
        const before = prev.get(e.path);
        if (before && before.kind === 'edit' && statMatches(before, stat))
          return { kind: 'unchanged', entry: before };
        // A directory where a dotfile should be is left alone rather than replaced.
        if (stat?.isDir) return { kind: 'skip' };
        if (stat?.isLink) return readDotfileLink(t, e.path);
        if (!stat) return { kind: 'read', path: e.path, text: null, mode: null };
        const read = await readDotfile(t, e.path);
        return read.kind === 'read' ? { ...read, mode: stat.mode } : read;
      }),
    ),
  ]);
  plan.files.forEach((f, i) => {
    if (!userEditableWrites[i]) {
      keptUserChanges.push(f.path);
      return;
    }
    entries.push({ path: f.path, type: 'file', mode: f.mode, content: f.content });
    manifest.push({
      ...fileEntry(f.path, 'file', f.mode, f.content),
      created: false,
      userEditable: f.policy === 'userEditable',
    });
    written.push(f.path);
  });

  // Files this injection writes whole: a dotfile link pointing at one of them is left alone.
  const wholeFiles = new Set(entries.map((e) => e.path));
  // Two dotfiles may be one file (.bash_profile -> .bashrc): its second block goes in the
  // content already planned for it.
  const editedNow = new Map<string, ArchiveEntry>();
  plan.edits.forEach((e, i) => {
    const read = editReads[i]!;
    if (read.kind === 'skip') {
      if (read.why) notes.push(read.why);
      return;
    }
    if (read.kind === 'unchanged') {
      manifest.push(read.entry); // still exactly as we left it, block included
      return;
    }
    if (wholeFiles.has(read.path)) {
      notes.push(`left ~/${e.path} alone: a symbolic link to a file the injection writes`);
      return;
    }
    const stat = stats.get(e.path) ?? null;
    const before = prev.get(e.path);
    const link = read.linkTarget ? { linkTarget: read.linkTarget } : {};
    const planned = editedNow.get(read.path);
    const text = planned ? (planned.content ?? '') : read.text;
    const next = ensureBlock(text, e.body, e.where);
    const created = read.text === null || (before?.created ?? false);
    const mode = safeMode(read.mode ?? e.mode);
    if (text !== null && next === text && !planned && (read.mode === null || mode === read.mode)) {
      manifest.push({
        path: e.path,
        kind: 'edit',
        sha256: sha256(text),
        mode,
        size: read.linkTarget || !stat ? Buffer.byteLength(text) : stat.size,
        mtime: read.linkTarget || !stat ? 0 : stat.mtime,
        created,
        userEditable: false,
        ...link,
      });
      return;
    }
    if (planned) planned.content = next;
    else {
      const entry: ArchiveEntry = { path: read.path, type: 'file', mode, content: next };
      entries.push(entry);
      editedNow.set(read.path, entry);
    }
    manifest.push({ ...fileEntry(e.path, 'edit', mode, next), created, ...link });
    written.push(e.path);
  });

  // Files of an earlier injection this one no longer writes (a key was deleted): removed while
  // still as we wrote them, so a deleted key does not linger in the workspace.
  const staleRemovals: string[] = [];
  for (const e of stale) {
    if (await unchangedSince(t, e, stats.get(e.path) ?? null)) {
      if (stats.get(e.path)) staleRemovals.push(e.path);
    }
  }

  // The one transfer: refused as a whole (CONFLICT, nothing written) when a directory on the
  // way to any path is a link or not a directory.
  const archive = await packArchive(entries, t.user, mtime);
  await writeAsUser(t, archive, archivePaths(entries), staleRemovals, 'refuse');
  return { manifest, written, keptUserChanges, notes };
}

/** Removes exactly what the manifest says was injected and is still unchanged. */
export async function clearInjection(
  t: Target,
  manifest: ManifestEntry[],
  now: Date,
): Promise<ClearedInjection> {
  const items = manifest.filter((e) => e.kind !== 'dir');
  const stats = await statAll(
    t.container,
    t.user.home,
    items.map((e) => e.path),
  );
  const removals: string[] = [];
  const removed: string[] = [];
  const keptUserChanges: string[] = [];
  const rewrites: ArchiveEntry[] = [];

  // The engine's stat follows links in the directories above a path, so "unchanged" here is a
  // hint; the write script skips every path with a link on the way.
  /** What clear means to remove or rewrite: the path shown, and the path changed. */
  const candidates: Array<{ shown: string; at: string }> = [];
  for (const e of items.filter((i) => i.kind === 'file')) {
    const stat = stats.get(e.path) ?? null;
    if (stat === null) continue;
    if (await unchangedSince(t, e, stat)) {
      removals.push(e.path);
      candidates.push({ shown: e.path, at: e.path });
    } else keptUserChanges.push(e.path);
  }
  for (const e of items.filter((i) => i.kind === 'edit')) {
    const stat = stats.get(e.path) ?? null;
    if (stat === null || stat.isDir) continue;
    const read = stat.isLink ? await readDotfileLink(t, e.path) : await readDotfile(t, e.path);
    if (read.kind !== 'read' || read.text === null) continue;
    const stripped = stripBlock(read.text);
    if (stripped === read.text) continue;
    candidates.push({ shown: e.path, at: read.path });
    if (e.created && !read.linkTarget && stripped.trim() === '') removals.push(e.path);
    else {
      const mode = safeMode(read.mode ?? stat.mode);
      rewrites.push({ path: read.path, type: 'file', mode, content: stripped });
    }
  }
  // Directories we created go too, deepest first, but only when nothing else is left in them.
  const dirs = manifest
    .filter((e) => e.kind === 'dir' && e.created)
    .map((e) => e.path)
    .sort((a, b) => b.split('/').length - a.split('/').length);
  removals.push(...dirs.map((d) => `${d}/`));

  if (rewrites.length > 0 || removals.length > 0) {
    const archive = await packArchive(rewrites, t.user, archiveTime(now));
    const outcome = await writeAsUser(t, archive, archivePaths(rewrites), removals, 'skip');
    // What sat behind a link stays where it is and is not reported as removed.
    const behindLink = (p: string) =>
      outcome.refused.some((r) => p === r.dir || p.startsWith(`${r.dir}/`));
    const rewritten = new Set(rewrites.map((r) => r.path));
    for (const c of candidates) {
      const skippedRewrite = !outcome.extracted && rewritten.has(c.at);
      if (!behindLink(c.at) && !skippedRewrite) removed.push(c.shown);
    }
  }
  return { removed, keptUserChanges };
}
