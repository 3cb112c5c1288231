// What one injection writes into a workspace (CONTRACT.md section 6), as a plan of directories,
// files and dotfile edits with their modes; pure, so every byte can be checked without Docker.
import { aiToolFiles, envFile, type AiKeys } from './aiConfig';
import { AI_KEY_SCRIPT_PATH, aiKeyScript } from './aiKeyScript';
import { gitIncludeBody, shellBlockBody } from './dotfiles';
import { gitConfigQuote, shQuote } from './quote';
import { helperScripts } from './scripts';
import type { GitProvider } from '../vocabulary';

export interface WorkspaceUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

export interface GitProviderSettings {
  /** Providers the user has a git token for, in the order create-repo picks a default. */
  configured: GitProvider[];
  githubApiUrl: string;
  gitlabUrl: string;
  forgejoUrl: string | null;
  /**
   * Git URLs (`https://github.com`) served by several tokens or by one with a path prefix: git
   * must send the repository path there so the service can pick the token
   * (`credential.<url>.useHttpPath`).
   */
  useHttpPath?: string[];
  /** Sign commits and tags with the injected SSH key (the user's `commitSigning` setting). */
  commitSigning?: boolean;
}

export interface InjectionInput {
  username: string;
  sshKey: { privateKey: string; publicKey: string } | null;
  git: GitProviderSettings;
  ai: AiKeys;
  serviceUrl: string;
  workspaceToken: string;
}

/**
 * How a file is treated when it already exists: `ours` is always replaced; `userEditable` is
 * replaced only while it still holds what we wrote last time (or is absent).
 */
export type FilePolicy = 'ours' | 'userEditable';

export interface PlannedFile {
  path: string;
  mode: number;
  content: string;
  policy: FilePolicy;
}

/** A marked block added to a file the user owns (.gitconfig, .bashrc, the login profile). */
export interface PlannedEdit {
  path: string;
  body: string;
  where: 'top' | 'end';
  /** Mode when the file has to be created. */
  mode: number;
}

export interface InjectionPlan {
  dirs: Array<{ path: string; mode: number }>;
  files: PlannedFile[];
  edits: PlannedEdit[];
}

/** Directories the plan's files live in, parents first, with the mode each gets if created. */
const DIR_MODES: Record<string, number> = {
  '.ssh': 0o700,
  '.config': 0o755,
  '.config/xares': 0o700,
  '.config/opencode': 0o700,
  '.continue': 0o700,
  '.claude': 0o700,
  '.codex': 0o700,
  '.gemini': 0o700,
  bin: 0o755,
};

/** Every directory a plan may create. */
export const PLAN_DIRS = Object.keys(DIR_MODES);

/** The e-mail the injected git configuration commits with (and signatures are allowed for). */
function commitEmail(input: InjectionInput): string {
  return `${input.username}@xaresaicoder.local`;
}

/** Whether this injection sets up commit signing: the setting, and a key to sign with. */
function signs(input: InjectionInput): boolean {
  return Boolean(input.git.commitSigning && input.sshKey);
}

/**
 * SSH signing of commits and tags with the injected key; the allowed-signers file (the user's
 * e-mail and public key) lets `git log --show-signature` and `git verify-commit` check them here.
 */
function signingConfig(user: WorkspaceUser): string[] {
  return [
    '[gpg]',
    '\tformat = ssh',
    '[gpg "ssh"]',
    `\tallowedSignersFile = ${gitConfigQuote(`${user.home}/.config/xares/allowed_signers`)}`,
    '[user]',
    `\tsigningkey = ${gitConfigQuote(`${user.home}/.ssh/id_ed25519`)}`,
    '[commit]',
    '\tgpgsign = true',
    '[tag]',
    '\tgpgsign = true',
  ];
}

function xaresGitConfig(input: InjectionInput, user: WorkspaceUser): string {
  const helper = `!${shQuote(`${user.home}/bin/git-credential-xares`)}`;
  return [
    '# XaresAICoder Credentials: included from ~/.gitconfig and rewritten on every injection.',
    '# Settings in ~/.gitconfig itself take precedence over these.',
    '[user]',
    `\tname = ${gitConfigQuote(input.username)}`,
    `\temail = ${gitConfigQuote(commitEmail(input))}`,
    '[credential]',
    `\thelper = ${gitConfigQuote(helper)}`,
    '[init]',
    '\tdefaultBranch = main',
    ...(input.git.useHttpPath ?? [])
      // Only plain scheme://host[:port] URLs: nothing that could end the section header.
      .filter((url) => /^https?:\/\/[A-Za-z0-9.:[\]-]+$/.test(url))
      .flatMap((url) => [`[credential "${url}"]`, '\tuseHttpPath = true']),
    ...(signs(input) ? signingConfig(user) : []),
    '',
  ].join('\n');
}

function providersFile(git: GitProviderSettings): string {
  return [
    '# XaresAICoder Credentials: git provider endpoints of the service (no secrets). The same',
    '# variables without the XARES_ prefix, set in the workspace, take precedence.',
    `XARES_PROVIDERS=${shQuote(git.configured.join(' '))}`,
    `XARES_GITHUB_API_URL=${shQuote(git.githubApiUrl)}`,
    `XARES_GITLAB_URL=${shQuote(git.gitlabUrl)}`,
    `XARES_FORGEJO_URL=${shQuote(git.forgejoUrl ?? '')}`,
    '',
  ].join('\n');
}

/** The full plan for one workspace user; `loginFile` is the profile their login shell reads. */
export function buildPlan(
  input: InjectionInput,
  user: WorkspaceUser,
  loginFile: string,
): InjectionPlan {
  const files: PlannedFile[] = [];
  const ours = (path: string, mode: number, content: string) =>
    files.push({ path, mode, content, policy: 'ours' });

  if (input.sshKey) {
    ours('.ssh/id_ed25519', 0o600, input.sshKey.privateKey.replace(/\n*$/, '\n'));
    ours('.ssh/id_ed25519.pub', 0o644, `${input.sshKey.publicKey.trim()}\n`);
  }
  ours('.config/xares/gitconfig', 0o644, xaresGitConfig(input, user));
  ours('.config/xares/workspace-token', 0o600, `${input.workspaceToken}\n`);
  ours('.config/xares/service-url', 0o644, `${input.serviceUrl}\n`);
  ours('.config/xares/providers', 0o644, providersFile(input.git));
  if (signs(input) && input.sshKey) {
    const [type, blob] = input.sshKey.publicKey.trim().split(/\s+/);
    ours(
      '.config/xares/allowed_signers',
      0o644,
      `${commitEmail(input)} namespaces="git" ${type} ${blob}\n`,
    );
  }
  for (const s of helperScripts(user.home)) {
    ours(s.path, s.path.startsWith('bin/') ? 0o755 : 0o644, s.content);
  }
  ours(AI_KEY_SCRIPT_PATH, 0o755, aiKeyScript());
  ours('.env', 0o600, envFile(input.ai));
  for (const f of aiToolFiles(input.ai, user.home)) {
    files.push({ path: f.path, mode: 0o600, content: f.content, policy: 'userEditable' });
  }

  const dirs = Object.entries(DIR_MODES)
    .filter(([dir]) => files.some((f) => f.path.startsWith(`${dir}/`)))
    .map(([path, mode]) => ({ path, mode }));

  const edits: PlannedEdit[] = [
    { path: '.gitconfig', body: gitIncludeBody(), where: 'top', mode: 0o644 },
    { path: '.bashrc', body: shellBlockBody(), where: 'end', mode: 0o644 },
  ];
  if (loginFile !== '.bashrc') {
    edits.push({ path: loginFile, body: shellBlockBody(), where: 'end', mode: 0o644 });
  }
  return { dirs, files, edits };
}

/** The profile a login bash reads: the first of these that exists, else a new .profile. */
export function pickLoginFile(existing: ReadonlySet<string>): string {
  return ['.bash_profile', '.bash_login', '.profile'].find((f) => existing.has(f)) ?? '.profile';
}
