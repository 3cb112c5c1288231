import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { tierSuite } from '../support/tiers';

// The extension's surface as contract section 7 names it, read from the manifest VS Code loads.
const manifest = JSON.parse(
  readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'),
) as {
  publisher: string;
  name: string;
  engines: { vscode: string };
  capabilities: {
    untrustedWorkspaces: { supported: boolean | 'limited'; restrictedConfigurations?: string[] };
  };
  devDependencies: Record<string, string>;
  contributes: {
    viewsContainers: { activitybar: { id: string; title: string; icon: string }[] };
    views: Record<string, { id: string; name: string; type: string }[]>;
    commands: { command: string; category: string; title: string }[];
    configuration: {
      properties: Record<string, { default: unknown; type: string; scope?: string }>;
    };
    authentication: { id: string; label: string }[];
    walkthroughs: {
      id: string;
      steps: { id: string; title: string; description: string; media: { markdown?: string } }[];
    }[];
  };
};

const CONTRACT_COMMANDS = [
  'signIn',
  'signOut',
  'open',
  'generateSshKey',
  'copyPublicKey',
  'exportPublicKey',
  'addGitToken',
  'addAiKey',
  'testAll',
  'injectWorkspace',
  'showAuditLog',
  'clearAll',
  'connectProvider',
];
const MACHINE_SETTINGS = [
  'xaresCredentials.serviceUrl',
  'xaresCredentials.workspaceId',
  'xaresCredentials.terminalEnvironment',
];

tierSuite('unit', 'extension manifest', () => {
  it('is the contract extension id and targets code-server 4.100 (VS Code 1.100)', () => {
    assert.equal(`${manifest.publisher}.${manifest.name}`, 'xaresaicoder.xaresaicoder-credentials');
    assert.equal(manifest.engines.vscode, '^1.100.0');
    assert.match(manifest.devDependencies['@types/vscode'] ?? '', /1\.100\./);
  });

  it('contributes the activity-bar container and its webview view', () => {
    const container = manifest.contributes.viewsContainers.activitybar.find(
      (c) => c.id === 'xaresCredentials',
    );
    assert.equal(container?.title, 'Credentials');
    assert.match(container?.icon ?? '', /^media\/.+\.svg$/);
    const view = manifest.contributes.views.xaresCredentials?.[0];
    assert.deepEqual(
      { id: view?.id, name: view?.name, type: view?.type },
      { id: 'xaresCredentials.view', name: 'Credentials', type: 'webview' },
    );
  });

  it('contributes every contract command, category "Credentials", and no others', () => {
    const ids = manifest.contributes.commands.map((c) => c.command).sort();
    assert.deepEqual(ids, CONTRACT_COMMANDS.map((c) => `xaresCredentials.${c}`).sort());
    for (const c of manifest.contributes.commands) assert.equal(c.category, 'Credentials');
  });

  it('declares the settings with the contract defaults', () => {
    const p = manifest.contributes.configuration.properties;
    assert.equal(p['xaresCredentials.serviceUrl']?.default, 'http://127.0.0.1:7300');
    assert.equal(p['xaresCredentials.workspaceId']?.default, '');
    assert.equal(p['xaresCredentials.terminalEnvironment']?.default, false);
  });

  it('machine-scoped settings, restricted in untrusted workspaces (issue 11)', () => {
    const p = manifest.contributes.configuration.properties;
    for (const key of MACHINE_SETTINGS) assert.equal(p[key]?.scope, 'machine', key);
    assert.deepEqual(
      [...(manifest.capabilities.untrustedWorkspaces.restrictedConfigurations ?? [])].sort(),
      [...MACHINE_SETTINGS].sort(),
    );
  });

  it('declares the authentication provider of the Accounts menu', () => {
    assert.deepEqual(
      manifest.contributes.authentication.map((a) => a.id),
      ['xaresCredentials'],
    );
  });

  it('a walkthrough: sign in, key, register, connect, AI key, inject, each with a command link', () => {
    const steps = manifest.contributes.walkthroughs[0]?.steps ?? [];
    assert.deepEqual(
      steps.map((s) => s.id),
      ['signIn', 'generateKey', 'registerKey', 'connectProvider', 'addAiKey', 'inject'],
    );
    const commands = new Set(manifest.contributes.commands.map((c) => c.command));
    for (const step of steps) {
      const links = [...step.description.matchAll(/\(command:([\w.]+)/g)].map((m) => m[1]);
      assert.ok(links.length > 0, `${step.id} has a command link`);
      for (const link of links)
        assert.ok(commands.has(link!), `${step.id}: ${link} is contributed`);
      const media = step.media.markdown ?? '';
      assert.ok(existsSync(path.join(__dirname, '..', '..', media)), `${step.id}: ${media} exists`);
    }
  });
});
