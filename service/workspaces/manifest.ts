// The manifest of one injection: what was written where, with content hashes, so clear removes
// exactly that and a file the user changed since is recognised and left alone.
import { createHash } from 'node:crypto';
import { z } from 'zod';

const EntrySchema = z.object({
  path: z.string().min(1),
  /** `file`: written whole; `edit`: a block added to the user's file; `dir`: a directory. */
  kind: z.enum(['file', 'edit', 'dir']),
  sha256: z.string(),
  mode: z.number().int(),
  size: z.number().int(),
  /**
   * Epoch ms: the whole-second time we set on a file we wrote, or the time a dotfile we left as
   * it was had (a fraction of a ms when the file system keeps nanoseconds); with size, a quick
   * change check. Not an integer then: a fraction here must not make the manifest unreadable.
   */
  mtime: z.number().finite(),
  /** edit and dir: the file or directory did not exist before an injection created it. */
  created: z.boolean().default(false),
  /** file: replaced only while unchanged by the user (AI tool configuration). */
  userEditable: z.boolean().default(false),
  /** edit of a dotfile that is a symbolic link: the file inside the home it pointed at. */
  linkTarget: z.string().min(1).optional(),
});

export type ManifestEntry = z.infer<typeof EntrySchema>;
export const ManifestSchema = z.array(EntrySchema);

export function sha256(content: string | Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

/** Parses a stored manifest; a damaged one counts as empty, so clear removes nothing it cannot prove. */
export function parseManifest(json: string | null | undefined): ManifestEntry[] {
  if (!json) return [];
  try {
    const parsed = ManifestSchema.safeParse(JSON.parse(json));
    return parsed.success ? parsed.data : [];
  } catch {
    return [];
  }
}

/** What a stat of a path says (run as the workspace user). */
export interface PathStat {
  size: number;
  mode: number;
  /** epoch ms; nanoseconds are kept as a fraction so edits within a second differ. */
  mtime: number;
  isDir: boolean;
  /** The path itself is a symbolic link (its size, mode and mtime are the link's). */
  isLink: boolean;
}

/** True when the path still looks exactly as we left it (size and our whole-second mtime). */
export function statMatches(entry: ManifestEntry, stat: PathStat | null): boolean {
  return (
    stat !== null &&
    !stat.isDir &&
    !stat.isLink &&
    stat.size === entry.size &&
    stat.mtime === entry.mtime
  );
}
