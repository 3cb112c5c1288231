// Issue 11: the extension reads its machine-scoped settings only where a repository cannot
// write them (user or machine settings, else the default), whatever VS Code itself ignores.
import assert from 'node:assert/strict';
import {
  DEFAULT_SERVICE_URL,
  resolveServiceUrl,
  userOnlyValue,
  workspaceTokenTarget,
} from '../../extension/settingRules';
import { tierSuite } from '../support/tiers';

const ATTACKER = 'http://127.0.0.1:4444';
const INJECTED = 'http://credentials:7300';

tierSuite('unit', 'extension setting rules (what a repository cannot set)', () => {
  it('ignores workspace and folder values of every machine-scoped setting', () => {
    assert.equal(
      userOnlyValue({ defaultValue: '', workspaceValue: 'evil', workspaceFolderValue: 'evil' }),
      '',
    );
    assert.equal(
      userOnlyValue({ defaultValue: false, workspaceValue: true, workspaceFolderValue: true }),
      false,
    );
    assert.equal(
      userOnlyValue({ defaultValue: '', globalValue: 'mine', workspaceValue: 'x' }),
      'mine',
    );
    assert.equal(userOnlyValue(undefined), undefined);
  });

  it('a repository cannot choose the service URL, with or without an injected one', () => {
    const repo = { defaultValue: DEFAULT_SERVICE_URL, workspaceValue: ATTACKER };
    assert.equal(resolveServiceUrl(repo, INJECTED), INJECTED);
    assert.equal(resolveServiceUrl(repo, undefined), DEFAULT_SERVICE_URL);
    assert.equal(
      resolveServiceUrl({ ...repo, workspaceFolderValue: ATTACKER }, undefined),
      DEFAULT_SERVICE_URL,
    );
  });

  it("the user's own setting wins over the injected address", () => {
    const own = { defaultValue: DEFAULT_SERVICE_URL, globalValue: ' https://creds.example ' };
    assert.equal(resolveServiceUrl(own, INJECTED), 'https://creds.example');
    assert.equal(resolveServiceUrl({ ...own, globalValue: '  ' }, INJECTED), INJECTED);
  });

  it('the workspace token may go only to the injected address', () => {
    assert.equal(workspaceTokenTarget(INJECTED, INJECTED), INJECTED);
    assert.equal(workspaceTokenTarget(`${INJECTED}/`, INJECTED), INJECTED);
    assert.equal(workspaceTokenTarget('https://creds.example', INJECTED), undefined);
    assert.equal(workspaceTokenTarget(DEFAULT_SERVICE_URL, undefined), undefined);
  });
});
