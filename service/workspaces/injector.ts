// Applies an injection plan to a container and undoes it, all in ONE exec run as the workspace
// user (asUser.ts), started before the content is known: it finds the user's home and stats
// every path a plan can touch while the keys are fetched, reads the dotfiles to edit, then checks
// every directory on the way, extracts the tar archive it reads from stdin and deletes what is
// no longer wanted. Nothing is read or written by root, and nothing through a link the user
// planted.
import type Docker from 'dockerode';
import { packArchive, type ArchiveEntry } from './archive';
import { AI_TOOL_PATHS } from './aiConfig';
import { WorkspaceSession, type ReadRequest, type ReadResult, type UserStat } from './asUser';
import { PLAN_DIRS, pickLoginFile, type InjectionPlan, type WorkspaceUser } from './content';
import { ensureBlock, stripBlock } from './dotfiles';
import { sha256, statMatches, type ManifestEntry } from './manifest';
import type { AppliedInjection, ClearedInjection } from './types';

/** A container and the login user (a name, looked up in its /etc/passwd by the engine). */
export interface Source {
  container: Docker.Container;
  loginUser: string;
}

const LOGIN_FILES = ['.bash_profile', '.bash_login', '.profile'];
/** Our own directories: always in the archive, so their owner and mode are what we say. */
const FORCED_DIRS = new Set(['.ssh', '.config/xares']);
/** A dotfile larger than this is no shell or git configuration of a person: left alone. */
const MAX_DOTFILE_BYTES = 256 * 1024;

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
 * The reads of one injection or clear, asked of the workspace all at once: each `want` returns a
 * function that gives its answer once `run` has been awaited.
 */
class ReadBatch {
  private readonly requests: ReadRequest[] = [];
  private results: ReadResult[] = [];

  constructor(private readonly session: WorkspaceSession) {}

  want(kind: ReadRequest['kind'], path: string): () => ReadResult {
    // A dotfile the session read at once (a first injection) needs no request.
    const content = kind === 'read' ? this.session.eagerRead(path) : undefined;
    if (content) return () => ({ kind: 'file', content });
    const i = this.requests.push({ kind, path }) - 1;
    return () => this.results[i]!;
  }

  async run(): Promise<void> {
    this.results = await this.session.read(this.requests);
  }
}

/**
 * How a dotfile is read: a link (GNU stow and the like) has its target edited when that is a
 * regular file of the user's inside the home, resolved and read as the workspace user; a file of
 * another user (a hard link to /etc/shadow, where the kernel allows such links) is never copied
 * into the home; anything else is left alone, saying why.
 */
function readDotfile(
  batch: ReadBatch,
  user: WorkspaceUser,
  path: string,
  stat: UserStat | null,
): () => DotfileRead {
  // A directory where a dotfile should be is left alone rather than replaced.
  if (stat?.isDir) return () => ({ kind: 'skip' });
  if (!stat) return () => ({ kind: 'read', path, text: null, mode: null });
  if (stat.isLink) {
    const answer = batch.want('link', path);
    return () => {
      const link = answer();
      if (link.kind === 'inside') {
        if (link.content.length > MAX_DOTFILE_BYTES) return tooBig(path);
        return {
          kind: 'read',
          path: link.target,
          text: link.content.toString('utf8'),
          mode: link.mode,
          linkTarget: link.target,
        };
      }
      if (link.kind === 'outside') {
        return { kind: 'skip', why: `left ~/${path} alone: a symbolic link to outside the home` };
      }
      if (link.kind === 'notmine') {
        return {
          kind: 'skip',
          why: `left ~/${path} alone: a symbolic link to another user's file`,
        };
      }
      return { kind: 'skip', why: `left ~/${path} alone: a symbolic link to no regular file` };
    };
  }
  if (stat.uid !== user.uid) return () => notMine(path);
  if (stat.size > MAX_DOTFILE_BYTES) return () => tooBig(path);
  const answer = batch.want('read', path);
  return () => {
    const file = answer();
    if (file.kind === 'notmine') return notMine(path);
    // Gone or unreadable since the stat: as if it were not there would lose the user's lines.
    if (file.kind !== 'file')
      return { kind: 'skip', why: `left ~/${path} alone: it cannot be read` };
    return { kind: 'read', path, text: file.content.toString('utf8'), mode: stat.mode };
  };
}

const notMine = (path: string): DotfileRead => ({
  kind: 'skip',
  why: `left ~/${path} alone: it belongs to another user`,
});
const tooBig = (path: string): DotfileRead => ({
  kind: 'skip',
  why: `left ~/${path} alone: larger than ${MAX_DOTFILE_BYTES / 1024} KiB`,
});

/** Whether a file we may replace still holds what we wrote (absent counts as replaceable). */
function unchangedSince(
  batch: ReadBatch,
  entry: ManifestEntry | undefined,
  stat: UserStat | null,
): () => boolean {
  if (stat === null) return () => true;
  // A link where our file was is the user's doing: never read through, never replaced.
  if (!entry || stat.isDir || stat.isLink) return () => false;
  if (statMatches(entry, stat)) return () => true;
  const answer = batch.want('read', entry.path);
  return () => {
    const current = answer();
    return current.kind === 'file' && sha256(current.content) === entry.sha256;
  };
}

/**
 * Writes the plan made by `makePlan` (given the login profile the container uses), keeping the
 * user's own lines and changes; `previous` is the manifest of the last injection, if any. The
 * exec starts at once and stats every path a plan can hold while `input` (the keys, the new
 * session) is prepared.
 */
export async function applyInjection<I>(
  source: Source,
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
  // All paths a plan can hold, whatever keys the user has today, and every file written last
  // time (one a plan no longer holds is removed while unchanged).
  const statPaths = [
    ...(knownLogin ? [knownLogin.path] : LOGIN_FILES),
    '.gitconfig',
    '.bashrc',
    ...AI_TOOL_PATHS,
    ...PLAN_DIRS.filter((d) => !ownDir(d)),
    ...previous.filter((e) => e.kind === 'file').map((e) => e.path),
  ];
  // The dotfiles to edit that the last injection did not (all of them, the first time): read
  // at once, whatever their stat says.
  const eager = ['.gitconfig', '.bashrc', ...LOGIN_FILES].filter(
    (p) => prev.get(p)?.kind !== 'edit',
  );
  const [sessionResult, inputResult] = await Promise.allSettled([
    WorkspaceSession.open(source.container, source.loginUser, statPaths, eager),
    input,
  ]);
  // Both settled first, so a failure on one side never leaves the other running unobserved.
  if (sessionResult.status === 'rejected') throw sessionResult.reason;
  const session = sessionResult.value;
  try {
    if (inputResult.status === 'rejected') throw inputResult.reason;
    return await inject(session, inputResult.value, makePlan, previous, now, {
      prev,
      knownLogin,
      ownDir,
    });
  } finally {
    session.close();
  }
}

async function inject<I>(
  session: WorkspaceSession,
  input: I,
  makePlan: (input: I, loginFile: string, user: WorkspaceUser) => InjectionPlan,
  previous: ManifestEntry[],
  now: Date,
  known: {
    prev: Map<string, ManifestEntry>;
    knownLogin: ManifestEntry | undefined;
    ownDir: (d: string) => boolean;
  },
): Promise<AppliedInjection> {
  const { prev, knownLogin, ownDir } = known;
  const { user, stats } = session;
  const statOf = (p: string) => stats.get(p) ?? null;
  const login = knownLogin?.path ?? pickLoginFile(new Set(LOGIN_FILES.filter((f) => statOf(f))));
  const plan = makePlan(input, login, user);
  const planned = new Set(plan.files.map((f) => f.path));
  const stale = previous.filter((e) => e.kind === 'file' && !planned.has(e.path));

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
    const existsNow = ownDir(d.path) || Boolean(statOf(d.path));
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

  // The reads this injection needs (user-editable files whose stat changed, dotfiles to edit,
  // stale files to compare) all go out together.
  const batch = new ReadBatch(session);
  const userEditableWrites = plan.files.map((f) =>
    f.policy === 'userEditable'
      ? unchangedSince(batch, prev.get(f.path), statOf(f.path))
      : () => true,
  );
  const editReads = plan.edits.map((e): (() => DotfileRead) => {
    const stat = statOf(e.path);
    const before = prev.get(e.path);
    if (before && before.kind === 'edit' && statMatches(before, stat))
      return () => ({ kind: 'unchanged', entry: before });
    return readDotfile(batch, user, e.path, stat);
  });
  const staleUnchanged = stale.map((e) => unchangedSince(batch, e, statOf(e.path)));
  await batch.run();

  plan.files.forEach((f, i) => {
    if (!userEditableWrites[i]!()) {
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
    const read = editReads[i]!();
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
    const stat = statOf(e.path);
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
  const staleRemovals = stale
    .filter((e, i) => staleUnchanged[i]!() && statOf(e.path))
    .map((e) => e.path);

  // The one write: refused as a whole (CONFLICT, nothing written) when a directory on the way
  // to any path is a link or not a directory.
  const archive = await packArchive(entries, user, mtime);
  await session.write(archive, archivePaths(entries), staleRemovals, 'refuse');
  return { manifest, written, keptUserChanges, notes };
}

/** Removes exactly what the manifest says was injected and is still unchanged. */
export async function clearInjection(
  source: Source,
  manifest: ManifestEntry[],
  now: Date,
): Promise<ClearedInjection> {
  const items = manifest.filter((e) => e.kind !== 'dir');
  const session = await WorkspaceSession.open(
    source.container,
    source.loginUser,
    items.map((e) => e.path),
  );
  try {
    return await clear(session, items, manifest, now);
  } finally {
    session.close();
  }
}

async function clear(
  session: WorkspaceSession,
  items: ManifestEntry[],
  manifest: ManifestEntry[],
  now: Date,
): Promise<ClearedInjection> {
  const statOf = (p: string) => session.stats.get(p) ?? null;
  const removals: string[] = [];
  const removed: string[] = [];
  const keptUserChanges: string[] = [];
  const rewrites: ArchiveEntry[] = [];

  // A stat follows links in the directories above a path, so "unchanged" here is a hint; the
  // write script skips every path with a link on the way.
  /** What clear means to remove or rewrite: the path shown, and the path changed. */
  const candidates: Array<{ shown: string; at: string }> = [];
  const batch = new ReadBatch(session);
  const files = items
    .filter((i) => i.kind === 'file' && statOf(i.path) !== null)
    .map((e) => ({ e, unchanged: unchangedSince(batch, e, statOf(e.path)) }));
  const edits = items
    .filter((i) => i.kind === 'edit' && statOf(i.path) !== null && !statOf(i.path)?.isDir)
    .map((e) => ({ e, read: readDotfile(batch, session.user, e.path, statOf(e.path)) }));
  await batch.run();

  for (const { e, unchanged } of files) {
    if (unchanged()) {
      removals.push(e.path);
      candidates.push({ shown: e.path, at: e.path });
    } else keptUserChanges.push(e.path);
  }
  for (const { e, read: answer } of edits) {
    const read = answer();
    if (read.kind !== 'read' || read.text === null) continue;
    const stripped = stripBlock(read.text);
    if (stripped === read.text) continue;
    candidates.push({ shown: e.path, at: read.path });
    if (e.created && !read.linkTarget && stripped.trim() === '') removals.push(e.path);
    else {
      const mode = safeMode(read.mode ?? statOf(e.path)!.mode);
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
    const archive = await packArchive(rewrites, session.user, archiveTime(now));
    const outcome = await session.write(archive, archivePaths(rewrites), removals, 'skip');
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
