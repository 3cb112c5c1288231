// Which environment variable names a custom AI key may be exported under. The key lands in every
// shell of the workspace (~/.env), so a name a program reads as configuration (NODE_OPTIONS,
// PAGER, LESSOPEN, http_proxy, PYTHONSTARTUP, GIT_SSH_COMMAND, LD_PRELOAD...) would let whoever
// writes the "key" run code or redirect traffic. An allow-list, not a deny-list: the name must
// look like a secret (upper case, ending in _KEY, _TOKEN or _SECRET), and even then names in
// the namespaces of tools that read their settings from the environment are refused.
// Dependency-free: the API schema, the injection and the domain all ask it.

const SHAPE = /^[A-Z][A-Z0-9_]*_(KEY|TOKEN|SECRET)$/;
const MAX_LENGTH = 100;

/**
 * Prefixes of names that tools read as configuration, and which tool: a name starting with one
 * is refused even when it ends like a secret (GIT_*_TOKEN could be read by git, NPM_CONFIG_* by
 * npm, AWS_* by every AWS SDK to pick the account and endpoint).
 */
const CONFIG_PREFIXES: ReadonlyArray<readonly [string, string]> = [
  ['GIT_', 'git'],
  ['SSH_', 'ssh'],
  ['LD_', 'the dynamic linker'],
  ['DYLD_', 'the dynamic linker'],
  ['BASH_', 'bash'],
  ['NPM_CONFIG_', 'npm'],
  ['NPM_', 'npm'],
  ['YARN_', 'yarn'],
  ['PNPM_', 'pnpm'],
  ['NODE_', 'Node.js'],
  ['PIP_', 'pip'],
  ['PYTHON', 'Python'],
  ['UV_', 'uv'],
  ['POETRY_', 'Poetry'],
  ['CONDA_', 'conda'],
  ['DOCKER_', 'Docker'],
  ['KUBE', 'Kubernetes'],
  ['AWS_', 'the AWS tools'],
  ['AZURE_', 'the Azure tools'],
  ['GCLOUD_', 'gcloud'],
  ['CLOUDSDK_', 'gcloud'],
  ['GOOGLE_APPLICATION_', 'the Google Cloud libraries'],
  ['CARGO_', 'Cargo'],
  ['RUSTUP_', 'rustup'],
  ['JAVA_', 'Java'],
  ['MAVEN_', 'Maven'],
  ['GRADLE_', 'Gradle'],
  ['PERL', 'Perl'],
  ['RUBY', 'Ruby'],
  ['GEM_', 'RubyGems'],
  ['BUNDLE_', 'Bundler'],
  ['COMPOSER_', 'Composer'],
  ['HELM_', 'Helm'],
  ['TF_', 'Terraform'],
  ['VAULT_', 'Vault'],
  ['GNUPG', 'GnuPG'],
  ['GPG_', 'GnuPG'],
  ['OPENSSL_', 'OpenSSL'],
  ['SSL_', 'TLS libraries'],
  ['CURL_', 'curl'],
  ['XDG_', 'the desktop/base-directory settings'],
  ['LC_', 'the locale'],
  ['VSCODE_', 'VS Code'],
  ['CODE_SERVER', 'code-server'],
  ['ELECTRON_', 'Electron'],
  ['XARES_', 'XaresAICoder'],
  ['CREDENTIAL_', 'this service'],
];

/** Names the injection itself writes from the built-in providers' keys. */
export const BUILT_IN_KEY_NAMES: ReadonlySet<string> = new Set([
  'OPENAI_API_KEY',
  'ANTHROPIC_API_KEY',
  'GEMINI_API_KEY',
  'GOOGLE_API_KEY',
]);

/**
 * Why `name` may not carry a custom AI key, as a sentence for the user; undefined when it may.
 * The same answer when a key is saved (400) and when it is injected (skipped and audited).
 */
export function envVarRefusal(name: string): string | undefined {
  if (name.length > MAX_LENGTH) return `envVar must be at most ${MAX_LENGTH} characters`;
  if (!SHAPE.test(name)) {
    return (
      'envVar must be upper case letters, digits and _, ending in _KEY, _TOKEN or _SECRET ' +
      '(such as MY_SERVICE_API_KEY), so that no program reads it as a setting'
    );
  }
  for (const [prefix, tool] of CONFIG_PREFIXES) {
    if (name.startsWith(prefix)) {
      return `envVar ${name} is refused: names starting with ${prefix} are read as settings by ${tool}; choose a name such as MY_SERVICE_API_KEY`;
    }
  }
  if (BUILT_IN_KEY_NAMES.has(name)) {
    return `envVar ${name} is already set from the built-in provider's key; choose another name`;
  }
  return undefined;
}

export function isAllowedEnvVar(name: string): boolean {
  return envVarRefusal(name) === undefined;
}
