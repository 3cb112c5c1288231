// ~/bin/xares-ai-key PROVIDER: prints what an AI tool needs as its key (Claude Code's
// apiKeyHelper, any tool that can run a command). It reads the variable from the environment,
// else from ~/.env at run time: in gateway mode that is the workspace's gateway token, in
// environment mode the key itself, so no second file ever holds a key.

export const AI_KEY_SCRIPT_PATH = 'bin/xares-ai-key';

export function aiKeyScript(): string {
  return `#!/bin/sh
# XaresAICoder Credentials: prints the key an AI tool should send, rewritten on every injection.
#   xares-ai-key openai|anthropic|google|VARIABLE_KEY
# In gateway mode this is the workspace's gateway token (the provider key stays in the service).
set -eu
case "\${1:-}" in
  openai) var=OPENAI_API_KEY ;;
  anthropic|claude) var=ANTHROPIC_API_KEY ;;
  google|gemini) var=GEMINI_API_KEY ;;
  *)
    if printf '%s' "\${1:-}" | grep -Eq '^[A-Z][A-Z0-9_]{0,126}_(KEY|TOKEN|SECRET)$'; then
      var=$1
    else
      echo "usage: xares-ai-key openai|anthropic|google|NAME_API_KEY" >&2
      exit 2
    fi
    ;;
esac
# The variable's name was checked above, so expanding it by name is safe.
value=$(eval "printf '%s' \\"\\\${$var:-}\\"")
if [ -z "$value" ] && [ -r "$HOME/.env" ]; then
  value=$(. "$HOME/.env" >/dev/null 2>&1; eval "printf '%s' \\"\\\${$var:-}\\"")
fi
if [ -z "$value" ]; then
  echo "xares-ai-key: no $var in this workspace; add the key in the Credentials view and inject" >&2
  exit 1
fi
printf '%s\\n' "$value"
`;
}
