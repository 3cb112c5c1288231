// Edits of the user's own dotfiles (.gitconfig, .bashrc, .profile): one marked block is added
// once and removed exactly, and every line outside the block stays as the user wrote it.

export const BLOCK_BEGIN = '# >>> xares-credentials >>>';
export const BLOCK_END = '# <<< xares-credentials <<<';

/** The block: markers and body, ending in a newline. */
function block(body: string): string {
  return `${BLOCK_BEGIN}\n${body.replace(/\n*$/, '')}\n${BLOCK_END}\n`;
}

/** Splits a file around our block; `found` is false when it has none. */
function splitBlock(text: string): { before: string; after: string; found: boolean } {
  const start = text.indexOf(BLOCK_BEGIN);
  if (start < 0) return { before: text, after: '', found: false };
  const endMarker = text.indexOf(BLOCK_END, start);
  if (endMarker < 0) return { before: text, after: '', found: false };
  let end = endMarker + BLOCK_END.length;
  if (text[end] === '\n') end += 1;
  return { before: text.slice(0, start), after: text.slice(end), found: true };
}

/** True when the text already holds exactly this block. */
function hasBlock(text: string, body: string): boolean {
  return text.includes(block(body));
}

/**
 * Puts the block at the top (git config: later lines win, so the user's own settings keep
 * precedence over ours) or at the end (shell startup files: after the user's PATH set-up).
 * An older block of ours is replaced in place; a file without one gets it added once.
 */
export function ensureBlock(text: string | null, body: string, where: 'top' | 'end'): string {
  const current = text ?? '';
  if (hasBlock(current, body)) return current;
  const parts = splitBlock(current);
  if (parts.found) return parts.before + block(body) + parts.after;
  if (where === 'top') return block(body) + current;
  const sep = current === '' || current.endsWith('\n') ? '' : '\n';
  return current + sep + block(body);
}

/** Removes our block, keeping every other line; returns the text unchanged when it has none. */
export function stripBlock(text: string): string {
  const parts = splitBlock(text);
  return parts.found ? parts.before + parts.after : text;
}

/** The include of our git config; `~` is expanded by git itself. */
export function gitIncludeBody(): string {
  return '[include]\n\tpath = ~/.config/xares/gitconfig';
}

/** Sources ~/.env and puts ~/bin on PATH (Debian's .profile does that only if it existed at login). */
export function shellBlockBody(): string {
  return [
    'case ":$PATH:" in *":$HOME/bin:"*) ;; *) PATH="$HOME/bin:$PATH" ;; esac',
    '[ -r "$HOME/.env" ] && . "$HOME/.env"',
  ].join('\n');
}
