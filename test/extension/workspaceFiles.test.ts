import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TerminalEnvironment } from '../../extension/terminalEnv';
import {
  defaultWorkspaceId,
  parseInjectedEnv,
  readInjectedServiceUrl,
  readWorkspaceToken,
} from '../../extension/workspaceFiles';
import { tierSuite } from '../support/tiers';

tierSuite('unit', 'extension workspace files and terminal environment', () => {
  let home: string;
  beforeEach(() => {
    home = mkdtempSync(path.join(os.tmpdir(), 'xares-home-'));
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  function write(rel: string, content: string) {
    mkdirSync(path.dirname(path.join(home, rel)), { recursive: true });
    writeFileSync(path.join(home, rel), content);
  }

  it('reads the injected workspace token and service URL, nothing when absent', async () => {
    assert.equal(await readWorkspaceToken(home), undefined);
    assert.equal(await readInjectedServiceUrl(home), undefined);
    write('.config/xares/workspace-token', 'abc123\n');
    write('.config/xares/service-url', 'http://127.0.0.1:7300\n');
    assert.equal(await readWorkspaceToken(home), 'abc123');
    assert.equal(await readInjectedServiceUrl(home), 'http://127.0.0.1:7300');
  });

  it('ignores a malformed token or URL', async () => {
    write('.config/xares/workspace-token', 'two words');
    write('.config/xares/service-url', 'file:///etc/passwd');
    assert.equal(await readWorkspaceToken(home), undefined);
    assert.equal(await readInjectedServiceUrl(home), undefined);
  });

  it('workspace id: setting, else XARES_WORKSPACE_ID, else hostname', () => {
    assert.equal(defaultWorkspaceId('set', { XARES_WORKSPACE_ID: 'env' }, 'host'), 'set');
    assert.equal(defaultWorkspaceId('', { XARES_WORKSPACE_ID: 'env' }, 'host'), 'env');
    assert.equal(defaultWorkspaceId(undefined, {}, 'host'), 'host');
  });

  it('parses POSIX single-quoted exports, including an escaped quote, and skips the rest', () => {
    const vars = parseInjectedEnv(
      [
        '# written by XaresAICoder',
        "export OPENAI_API_KEY='sk-abc'",
        "export WEIRD='it'\\''s $HOME'",
        'export EVIL=$(rm -rf ~)',
        "ANTHROPIC_API_KEY='sk-ant'",
        'garbage line',
      ].join('\n'),
    );
    assert.deepEqual(Object.fromEntries(vars), {
      OPENAI_API_KEY: 'sk-abc',
      WEIRD: "it's $HOME",
      ANTHROPIC_API_KEY: 'sk-ant',
    });
  });

  it('offers ~/.env keys to terminals only when enabled, never persistently', async () => {
    write('.env', "export OPENAI_API_KEY='sk-abc'\n");
    const set = new Map<string, string>();
    const collection = {
      persistent: true,
      description: undefined as unknown,
      replace: (k: string, v: string) => void set.set(k, v),
      clear: () => set.clear(),
    };
    let enabled = false;
    const env = new TerminalEnvironment(collection, () => enabled, home);
    assert.equal(collection.persistent, false, 'VS Code must not store the values');
    assert.deepEqual(await env.refresh(), []);
    assert.equal(set.size, 0);
    enabled = true;
    assert.deepEqual(await env.refresh(), ['OPENAI_API_KEY']);
    assert.equal(set.get('OPENAI_API_KEY'), 'sk-abc');
    assert.ok(!String(collection.description).includes('sk-abc'));
    enabled = false;
    await env.refresh();
    assert.equal(set.size, 0);
  });
});
