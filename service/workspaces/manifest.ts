// The manifest of one injection: what was written where, with content hashes, so clear removes
// exactly that and a file the user changed since is recognised and left alone.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { ManifestEntry } from './types';

export type { ManifestEntry };

/** ManifestEntry (types.ts) as it is checked when read back from the store. */
const EntrySchema = z.object({
  path: z.string().min(1),
  kind: z.enum(['file', 'edit', 'dir']),
  sha256: z.string(),
  mode: z.number().int(),
  size: z.number().int(),
  mtime: z.number().finite(),
  created: z.boolean().default(false),
  userEditable: z.boolean().default(false),
  linkTarget: z.string().min(1).optional(),
}) satisfies z.ZodType<ManifestEntry, unknown>;

export const ManifestSchema = z.array(EntrySchema);

export function sha256(content: string | Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

/**
 * Checks a manifest as the store returns it (store/injections.ts: parsed from JSON, not yet
 * checked); a damaged one counts as empty, so clear removes nothing it cannot prove.
 */
export function parseManifest(stored: unknown): ManifestEntry[] {
  const parsed = ManifestSchema.safeParse(stored);
  return parsed.success ? parsed.data : [];
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
