// Builds the one tar archive an injection writes: `tar` run as the workspace user extracts it
// from stdin (asUser.ts), so the files are the user's, each with the mode in its header (the
// owner fields are the same user's ids, for any reader of the archive).
import * as tar from 'tar-stream';

export interface ArchiveEntry {
  /** Relative to the directory the archive is extracted in; no leading slash, no '..'. */
  path: string;
  type: 'file' | 'directory';
  mode: number;
  content?: string;
}

export interface ArchiveOwner {
  uid: number;
  gid: number;
}

/** Checks that a path stays inside the extraction directory. */
export function assertRelativePath(path: string): void {
  if (path === '' || path.startsWith('/') || path.split('/').some((p) => p === '..' || p === '')) {
    throw new Error(`not a relative path inside the home directory: ${path}`);
  }
}

/** Packs entries (directories must come before their contents) into a tar buffer. */
export async function packArchive(
  entries: ArchiveEntry[],
  owner: ArchiveOwner,
  mtime: Date,
): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    pack.on('data', (c: unknown) => chunks.push(c as Buffer));
    pack.on('end', () => resolve(Buffer.concat(chunks)));
    pack.on('error', reject);
  });
  for (const e of entries) {
    assertRelativePath(e.path);
    const header = {
      name: e.type === 'directory' ? `${e.path}/` : e.path,
      type: e.type,
      mode: e.mode,
      uid: owner.uid,
      gid: owner.gid,
      mtime,
    } as const;
    if (e.type === 'directory') pack.entry(header);
    else pack.entry(header, Buffer.from(e.content ?? '', 'utf8'));
  }
  pack.finalize();
  return done;
}
