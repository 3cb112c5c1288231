// The programs written into a workspace's ~/bin: the git credential helper and the repository
// helpers. POSIX sh with only git, curl and sed (the credential helper: bash); no token is ever
// stored by them or put in argv.
import { shQuote } from './quote';

/**
 * Shell source kept verbatim (String.raw, so sed expressions need no double escaping). It takes
 * no substitutions, so nothing can be spliced in unquoted; `$\{` stands for the shell's `${`.
 */
function sh(strings: TemplateStringsArray): string {
  return strings.raw.join('').replace(/\$\\\{/g, '${');
}

/** The one line each script starts with: where its configuration lives (shell-quoted). */
function header(xaresDir: string, binDir: string): string {
  return `XARES_DIR=${shQuote(xaresDir)}\nXARES_BIN=${shQuote(binDir)}\n`;
}

const CREDENTIAL_HELPER = sh`
# Answers git's "get" through the XaresAICoder credential service (POST /api/git-credential):
# git's request goes to the service as it is and the answer, already in git's own format, goes
# back to git; nothing is stored. The workspace token never appears in argv or a file: over
# plain http bash writes it to the connection itself (/dev/tcp: no other process to start, which
# is most of the cost of a credential call), over https it reaches curl through a pipe.
# A host the service has no token for gets no answer, so git goes on to its other helpers.
[ "$1" = get ] || exit 0
export LC_ALL=C # so that $\{#body} counts bytes
{ read -r url <"$XARES_DIR/service-url" && read -r token <"$XARES_DIR/workspace-token"; } 2>/dev/null || exit 0
[[ $token =~ ^[A-Za-z0-9._~+/=-]+$ ]] || exit 0
body=
while IFS= read -r line && [ -n "$line" ]; do body+="$line"$'\n'; done
say() { echo "git-credential-xares: $*" >&2; }
if [[ $url =~ ^http://([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:([0-9]+))?(/[^[:space:]]*)?$ ]]; then
  host=$\{BASH_REMATCH[1]} port=$\{BASH_REMATCH[3]:-80} base=$\{BASH_REMATCH[4]%/}
  host=$\{host#[} host=$\{host%]}
  { exec 3<>"/dev/tcp/$host/$port"; } 2>/dev/null || { say "the credential service at $url is not reachable"; exit 0; }
  printf 'POST %s/api/git-credential HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
    "$base" "$\{url#http://}" "$token" "$\{#body}" "$body" >&3
  read -r -t 15 _ code _ <&3 || code=000
  while IFS= read -r -t 15 line <&3 && [ -n "$\{line%$'\r'}" ]; do :; done
  if [ "$code" = 200 ]; then
    while IFS= read -r -t 15 line <&3 || [ -n "$line" ]; do printf '%s\n' "$line"; done
  fi
else
  exec 4>&1
  code=$(printf '%s' "$body" | curl -s --fail --max-time 15 --connect-timeout 5 -K /dev/fd/3 \
    -H 'Content-Type: text/plain' --data-binary @- -o /dev/fd/4 -w '%{http_code}' \
    "$\{url%/}/api/git-credential" 3< <(printf 'header = "Authorization: Bearer %s"\n' "$token"))
fi
case $code in
  200 | 404) ;;
  401) say "this workspace's token is no longer valid; inject again" ;;
  000) say "the credential service at $url is not reachable" ;;
  *) say "the credential service answered HTTP $code" ;;
esac
exit 0
`;

const LIB = sh`
# Functions shared by the XaresAICoder repository helpers (sourced). Provider endpoints come from
# the service's settings in providers; the same variables set in the workspace override them.
[ -r "$XARES_DIR/providers" ] && . "$XARES_DIR/providers"
GITHUB_API_URL=$\{GITHUB_API_URL:-$\{XARES_GITHUB_API_URL:-https://api.github.com}}
GITLAB_URL=$\{GITLAB_URL:-$\{XARES_GITLAB_URL:-https://gitlab.com}}
FORGEJO_URL=$\{FORGEJO_URL:-$\{XARES_FORGEJO_URL:-}}
GITHUB_API_URL=$\{GITHUB_API_URL%/}
GITLAB_URL=$\{GITLAB_URL%/}
FORGEJO_URL=$\{FORGEJO_URL%/}

xares_die() { printf '%s\n' "$*" >&2; exit 1; }

xares_check_name() {
  case $1 in
    '' | -* | *[!A-Za-z0-9._-]*) xares_die "error: a repository name is letters, digits, '.', '_' and '-'" ;;
  esac
}
xares_check_text() {
  case $1 in *[[:cntrl:]]*) xares_die "error: the description cannot hold control characters" ;; esac
}
xares_check_bool() {
  case $1 in true | false) ;; *) xares_die "error: private must be true or false, not '$1'" ;; esac
}

# $1 as a JSON string literal (callers check it with xares_check_text first).
xares_json_string() {
  printf '"%s"' "$(printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')"
}

# The first string value of key $1 in the JSON on stdin, with \" \\ \/ unescaped.
xares_json_field() {
  soh=$(printf '\001')
  tr -d '\r\n' | sed -E 's/([{,[])[[:space:]]*"/\1\
"/g' | sed -n -E 's/^"'"$1"'"[[:space:]]*:[[:space:]]*"(([^"\\]|\\.)*)".*/\1/p' | head -n 1 |
    sed -e 's/\\\\/'"$soh"'/g' -e 's/\\"/"/g' -e 's/\\\//\//g' -e 's/'"$soh"'/\\/g'
}

# The token for the git host serving API URL $1, from git's credential helpers (ours asks the
# service at run time); empty when none has one.
xares_token() {
  proto=$\{1%%://*}
  rest=$\{1#*://}
  host=$\{rest%%/*}
  [ "$host" = api.github.com ] && host=github.com
  printf 'protocol=%s\nhost=%s\n\n' "$proto" "$host" |
    GIT_TERMINAL_PROMPT=0 git credential fill 2>/dev/null | sed -n 's/^password=//p' | head -n 1
}

# Calls an API with the token in header "$1 TOKEN" ($2 = token), passed to curl on stdin so it
# never shows in the process list; sets XARES_STATUS and XARES_BODY.
xares_request() {
  case $2 in *'"'* | *\\* | *[[:cntrl:]]*) echo "error: unexpected characters in the token" >&2; return 1 ;; esac
  hdr=$1
  tok=$2
  shift 2
  out=$(printf 'header = "%s %s"\n' "$hdr" "$tok" |
    curl -sS --max-time 30 --connect-timeout 10 -K - -w '\n%{http_code}' "$@") || return 1
  XARES_STATUS=$\{out##*
}
  XARES_BODY=$\{out%
*}
}

# Stops with the provider's message unless the last request answered 201 Created.
xares_expect_created() {
  [ "$XARES_STATUS" = 201 ] && return 0
  msg=$(printf '%s' "$XARES_BODY" | xares_json_field message)
  xares_die "error: $1 answered HTTP $XARES_STATUS$\{msg:+: $msg}"
}

# Inside a git work tree without an origin: adds the new repository as origin and pushes.
xares_add_origin() {
  [ -n "$1" ] || return 0
  git rev-parse --is-inside-work-tree >/dev/null 2>&1 || return 0
  if git remote get-url origin >/dev/null 2>&1; then
    echo "This repository already has an origin; to add the new one: git remote add NAME $1"
    return 0
  fi
  git remote add origin "$1" || return 1
  if git rev-parse --verify -q HEAD >/dev/null; then
    git push -u origin HEAD
  else
    echo "Remote origin added; after your first commit: git push -u origin HEAD"
  fi
}
`;

const CREATE_GITHUB = sh`
# create-github-repo NAME [DESCRIPTION] [PRIVATE=true|false]: creates a repository on GitHub
# (or the GitHub Enterprise at GITHUB_API_URL); inside a git repository adds it as origin.
. "$XARES_DIR/lib.sh"
[ -n "$1" ] || xares_die "Usage: create-github-repo <name> [description] [private]"
name=$1 description=$2 private=$\{3:-false}
xares_check_name "$name"
xares_check_text "$description"
xares_check_bool "$private"
token=$(xares_token "$GITHUB_API_URL")
[ -n "$token" ] || xares_die "error: no GitHub token; add one in the Credentials view"
body="{\"name\":$(xares_json_string "$name"),\"description\":$(xares_json_string "$description"),\"private\":$private}"
xares_request "Authorization: Bearer" "$token" -X POST \
  -H 'Accept: application/vnd.github+json' -H 'Content-Type: application/json' \
  -d "$body" "$GITHUB_API_URL/user/repos" || xares_die "error: GitHub at $GITHUB_API_URL is not reachable"
xares_expect_created GitHub
url=$(printf '%s' "$XARES_BODY" | xares_json_field clone_url)
echo "Repository created: $url"
xares_add_origin "$url"
`;

const CREATE_GITLAB = sh`
# create-gitlab-repo NAME [DESCRIPTION] [PRIVATE=true|false]: creates a project on GitLab
# (GITLAB_URL); inside a git repository adds it as origin.
. "$XARES_DIR/lib.sh"
[ -n "$1" ] || xares_die "Usage: create-gitlab-repo <name> [description] [private]"
name=$1 description=$2 private=$\{3:-false}
xares_check_name "$name"
xares_check_text "$description"
xares_check_bool "$private"
visibility=public
[ "$private" = true ] && visibility=private
token=$(xares_token "$GITLAB_URL")
[ -n "$token" ] || xares_die "error: no GitLab token; add one in the Credentials view"
body="{\"name\":$(xares_json_string "$name"),\"description\":$(xares_json_string "$description"),\"visibility\":\"$visibility\"}"
xares_request "PRIVATE-TOKEN:" "$token" -X POST -H 'Content-Type: application/json' \
  -d "$body" "$GITLAB_URL/api/v4/projects" || xares_die "error: GitLab at $GITLAB_URL is not reachable"
xares_expect_created GitLab
url=$(printf '%s' "$XARES_BODY" | xares_json_field http_url_to_repo)
echo "Repository created: $url"
xares_add_origin "$url"
`;

const CREATE_FORGEJO = sh`
# create-forgejo-repo NAME [DESCRIPTION] [PRIVATE=true|false]: creates a repository on the
# Forgejo or Gitea at FORGEJO_URL; inside a git repository adds it as origin.
. "$XARES_DIR/lib.sh"
[ -n "$1" ] || xares_die "Usage: create-forgejo-repo <name> [description] [private]"
[ -n "$FORGEJO_URL" ] || xares_die "error: no Forgejo configured; add a Forgejo token with its URL"
name=$1 description=$2 private=$\{3:-false}
xares_check_name "$name"
xares_check_text "$description"
xares_check_bool "$private"
token=$(xares_token "$FORGEJO_URL")
[ -n "$token" ] || xares_die "error: no Forgejo token; add one in the Credentials view"
body="{\"name\":$(xares_json_string "$name"),\"description\":$(xares_json_string "$description"),\"private\":$private}"
xares_request "Authorization: token" "$token" -X POST -H 'Content-Type: application/json' \
  -d "$body" "$FORGEJO_URL/api/v1/user/repos" || xares_die "error: Forgejo at $FORGEJO_URL is not reachable"
xares_expect_created Forgejo
url=$(printf '%s' "$XARES_BODY" | xares_json_field clone_url)
echo "Repository created: $url"
xares_add_origin "$url"
`;

const CREATE_REPO = sh`
# create-repo: creates a repository on one of the configured git providers.
. "$XARES_DIR/lib.sh"
show_help() {
  echo "Universal Repository Creator for XaresAICoder"
  echo ""
  echo "Usage: create-repo [OPTIONS] <name>"
  echo ""
  echo "Options:"
  echo "  -p, --provider PROVIDER    Git provider (github, forgejo, gitlab)"
  echo "  -d, --description DESC     Repository description"
  echo "  --private                  Create private repository"
  echo "  --public                   Create public repository (default)"
  echo "  -h, --help                 Show this help message"
  echo ""
  echo "Configured providers: $\{XARES_PROVIDERS:-none}"
  echo ""
  echo "Examples:"
  echo "  create-repo my-awesome-app"
  echo "  create-repo -p github --private my-secret-project"
  echo "  create-repo -p forgejo -d \"Company project\" work-app"
}
provider= name= description= private=false
while [ $# -gt 0 ]; do
  case $1 in
    -p | --provider)
      [ $# -ge 2 ] || xares_die "error: $1 needs a provider"
      provider=$2
      shift 2
      ;;
    -d | --description)
      [ $# -ge 2 ] || xares_die "error: $1 needs a description"
      description=$2
      shift 2
      ;;
    --private) private=true; shift ;;
    --public) private=false; shift ;;
    -h | --help) show_help; exit 0 ;;
    -*) echo "Unknown option $1" >&2; show_help >&2; exit 1 ;;
    *)
      [ -z "$name" ] || xares_die "error: give one repository name (got '$name' and '$1')"
      name=$1
      shift
      ;;
  esac
done
if [ -z "$name" ]; then
  echo "Error: Repository name is required" >&2
  show_help >&2
  exit 1
fi
[ -n "$provider" ] || provider=$\{XARES_PROVIDERS%% *}
[ -n "$provider" ] || xares_die "Error: No git providers configured"
case $provider in
  github | gitlab | forgejo) exec "$XARES_BIN/create-$provider-repo" "$name" "$description" "$private" ;;
  *) xares_die "Error: Unknown provider '$provider' (supported: github, forgejo, gitlab)" ;;
esac
`;

const GH = sh`
# gh (GitHub CLI) with no "gh auth login": the GitHub token is fetched through git's credential
# helpers (ours asks the service) at run time and given to this one gh process in its
# environment. Nothing is written to disk and no SSH key is added at GitHub. A token or login of
# your own (GH_TOKEN, GH_ENTERPRISE_TOKEN) is left alone.
. "$XARES_DIR/lib.sh"
real=
IFS=:
for dir in $PATH; do
  [ "$dir" = "$XARES_BIN" ] || [ ! -x "$dir/gh" ] || { real=$dir/gh; break; }
done
unset IFS
[ -n "$real" ] || xares_die "gh is not installed in this workspace"
[ -z "$GH_TOKEN$GITHUB_TOKEN$GH_ENTERPRISE_TOKEN$GITHUB_ENTERPRISE_TOKEN" ] || exec "$real" "$@"
token=$(xares_token "$GITHUB_API_URL")
[ -n "$token" ] || exec "$real" "$@"
case $GITHUB_API_URL in
  https://api.github.com) GH_TOKEN=$token exec "$real" "$@" ;;
esac
# GitHub Enterprise (https://HOST/api/v3): gh calls it GH_HOST and wants GH_ENTERPRISE_TOKEN.
host=$\{GITHUB_API_URL#*://}
GH_HOST=$\{GH_HOST:-$\{host%%/*}} GH_ENTERPRISE_TOKEN=$token exec "$real" "$@"
`;

const GIT_HELPER = sh`
# git-helper: what the XaresAICoder workspace offers for git, and this repository's remotes.
. "$XARES_DIR/lib.sh"
echo "Configured git providers: $\{XARES_PROVIDERS:-none}"
echo "  GitHub API: $GITHUB_API_URL"
echo "  GitLab:     $GITLAB_URL"
[ -z "$FORGEJO_URL" ] || echo "  Forgejo:    $FORGEJO_URL"
echo ""
echo "Available repository creation commands:"
echo "  create-repo [-p github|forgejo|gitlab] [-d DESC] [--private|--public] <name>"
echo "  create-github-repo <name> [description] [private]"
echo "  create-forgejo-repo <name> [description] [private]"
echo "  create-gitlab-repo <name> [description] [private]"
echo ""
echo "Git remotes:"
git remote -v 2>/dev/null || echo "Not in a git repository"
`;

export interface HelperScript {
  /** Path relative to the home directory. */
  path: string;
  content: string;
}

/** Every program and the sourced library, for a user whose home is `home`. */
export function helperScripts(home: string): HelperScript[] {
  const xaresDir = `${home}/.config/xares`;
  const binDir = `${home}/bin`;
  const program = (body: string, shell = '/bin/sh') =>
    `#!${shell}\n${header(xaresDir, binDir)}${body}`;
  return [
    // bash for its /dev/tcp (see the helper); code-server workspaces always have it.
    { path: 'bin/git-credential-xares', content: program(CREDENTIAL_HELPER, '/bin/bash') },
    { path: 'bin/create-repo', content: program(CREATE_REPO) },
    { path: 'bin/create-github-repo', content: program(CREATE_GITHUB) },
    { path: 'bin/create-forgejo-repo', content: program(CREATE_FORGEJO) },
    { path: 'bin/create-gitlab-repo', content: program(CREATE_GITLAB) },
    { path: 'bin/git-helper', content: program(GIT_HELPER) },
    { path: 'bin/gh', content: program(GH) },
    { path: '.config/xares/lib.sh', content: `# sourced by the helpers in ~/bin\n${LIB}` },
  ];
}
