// Applies an injection plan to a container and undoes it: cheap stat calls decide what to read,
// then ONE archive upload writes everything as the workspace user; an exec is used only to
// delete files (which an archive cannot do).
import type Docker from 'dockerode';
import { AppError } from '../errors';
import { packArchive, type ArchiveEntry } from './archive';
import { AI_TOOL_PATHS } from './aiConfig';
import { PLAN_DIRS, pickLoginFile, type InjectionPlan, type WorkspaceUser } from './content';
import { execAs, putArchive, readFile, statPath } from './docker';
import { ensureBlock, stripBlock } from './dotfiles';
import { sha256, statMatches, type ManifestEntry, type PathStat } from './manifest';
import { findPasswdUser } from './passwd';

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

/** Deletes paths (absolute; directories end in '/', removed only when empty) in one exec. */
async function removePaths(t: Target, paths: string[]): Promise<void> {
  if (paths.length === 0) return;
  const script =
    'for f in "$@"; do case $f in */) rmdir -- "$f" 2>/dev/null ;; *) rm -f -- "$f" ;; esac; done; exit 0';
  const code = await execAs(t.container, t.user, ['sh', '-c', script, 'xares-clear', ...paths]);
  if (code !== 0) throw new Error(`removing files in the workspace failed (exit ${code})`);
}

/** Whether a file we may replace still holds what we wrote (absent counts as replaceable). */
async function unchangedSince(
  t: Target,
  entry: ManifestEntry | undefined,
  stat: PathStat | null,
): Promise<boolean> {
  if (stat === null) return true;
  if (!entry || stat.isDir) return false;
  if (statMatches(entry, stat)) return true;
  const current = await readFile(t.container, abs(t, entry.path));
  return current !== null && sha256(current) === entry.sha256;
}

export interface InjectResult {
  manifest: ManifestEntry[];
  /** Paths written (relative to home). */
  written: string[];
  /** User-editable files left alone because the user changed them. */
  keptUserChanges: string[];
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
): Promise<InjectResult> {
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
      plan.edits.map(async (e) => {
        const stat = stats.get(e.path) ?? null;
        const before = prev.get(e.path);
        if (before && before.kind === 'edit' && statMatches(before, stat))
          return { kind: 'unchanged' as const, entry: before };
        // A directory where a dotfile should be is left alone rather than replaced.
        if (stat?.isDir) return { kind: 'skip' as const };
        const current = stat ? await readFile(t.container, abs(t, e.path)) : null;
        return { kind: 'read' as const, text: current?.toString('utf8') ?? null };
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

  plan.edits.forEach((e, i) => {
    const read = editReads[i]!;
    if (read.kind === 'skip') return;
    if (read.kind === 'unchanged') {
      manifest.push(read.entry); // still exactly as we left it, block included
      return;
    }
    const stat = stats.get(e.path) ?? null;
    const before = prev.get(e.path);
    const text = read.text;
    const next = ensureBlock(text, e.body, e.where);
    const created = text === null || (before?.created ?? false);
    if (text !== null && next === text && stat) {
      manifest.push({
        path: e.path,
        kind: 'edit',
        sha256: sha256(text),
        mode: stat.mode,
        size: stat.size,
        mtime: stat.mtime,
        created,
        userEditable: false,
      });
      return;
    }
    const mode = stat?.mode ?? e.mode;
    entries.push({ path: e.path, type: 'file', mode, content: next });
    manifest.push({ ...fileEntry(e.path, 'edit', mode, next), created });
    written.push(e.path);
  });

  // Files of an earlier injection this one no longer writes (a key was deleted): removed while
  // still as we wrote them, so a deleted key does not linger in the workspace.
  const staleRemovals: string[] = [];
  for (const e of stale) {
    if (await unchangedSince(t, e, stats.get(e.path) ?? null)) {
      if (stats.get(e.path)) staleRemovals.push(abs(t, e.path));
    }
  }

  await putArchive(t.container, await packArchive(entries, t.user, mtime), t.user.home);
  await removePaths(t, staleRemovals);
  return { manifest, written, keptUserChanges };
}

export interface ClearResult {
  removed: string[];
  keptUserChanges: string[];
}

/** Removes exactly what the manifest says was injected and is still unchanged. */
export async function clearInjection(
  t: Target,
  manifest: ManifestEntry[],
  now: Date,
): Promise<ClearResult> {
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

  for (const e of items.filter((i) => i.kind === 'file')) {
    const stat = stats.get(e.path) ?? null;
    if (stat === null) continue;
    if (await unchangedSince(t, e, stat)) {
      removals.push(abs(t, e.path));
      removed.push(e.path);
    } else keptUserChanges.push(e.path);
  }
  for (const e of items.filter((i) => i.kind === 'edit')) {
    const stat = stats.get(e.path) ?? null;
    if (stat === null || stat.isDir) continue;
    const current = (await readFile(t.container, abs(t, e.path)))?.toString('utf8');
    if (current === undefined) continue;
    const stripped = stripBlock(current);
    if (stripped === current) continue;
    removed.push(e.path);
    if (e.created && stripped.trim() === '') removals.push(abs(t, e.path));
    else rewrites.push({ path: e.path, type: 'file', mode: stat.mode, content: stripped });
  }
  // Directories we created go too, deepest first, but only when nothing else is left in them.
  const dirs = manifest
    .filter((e) => e.kind === 'dir' && e.created)
    .map((e) => e.path)
    .sort((a, b) => b.split('/').length - a.split('/').length);
  removals.push(...dirs.map((d) => `${abs(t, d)}/`));

  if (rewrites.length > 0) {
    await putArchive(
      t.container,
      await packArchive(rewrites, t.user, archiveTime(now)),
      t.user.home,
    );
  }
  await removePaths(t, removals);
  return { removed, keptUserChanges };
}
