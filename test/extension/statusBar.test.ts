import assert from 'node:assert/strict';
import { renderStatus, StatusBar } from '../../extension/statusBar';
import type { StatusBarItemLike } from '../../extension/statusBar';
import type { TokenView } from '../../protocol/model';
import { tierSuite } from '../support/tiers';

const NOW = new Date('2026-11-25T10:00:00.000Z');
const inDays = (d: number) => new Date(NOW.getTime() + d * 86_400_000 + 3_600_000).toISOString();

function token(p: Partial<TokenView> & Pick<TokenView, 'provider'>): TokenView {
  return {
    id: `id-${p.provider}`,
    type: ['github', 'gitlab', 'forgejo'].includes(p.provider) ? 'git_token' : 'ai_token',
    name: 'default',
    username: null,
    url: null,
    envVar: null,
    pathPrefix: null,
    source: 'pasted',
    needsReconnect: false,
    hint: '…1234',
    expiresAt: null,
    updatedAt: NOW.toISOString(),
    lastTest: null,
    ...p,
  };
}
const tested = (status: 'valid' | 'invalid' | 'unreachable') => ({
  status,
  detail: status === 'valid' ? 'alice' : 'Bad credentials',
  checkedAt: NOW.toISOString(),
});

tierSuite('unit', 'extension status bar', () => {
  it('signed out says so', () => {
    const v = renderStatus({ signedIn: false }, NOW);
    assert.equal(v.text, '$(key) Credentials: signed out');
    assert.equal(v.warning, false);
    assert.match(v.tooltip, /not signed in/);
  });

  it('one glyph per provider with its last test result', () => {
    const v = renderStatus(
      {
        signedIn: true,
        username: 'alice',
        tokens: [
          token({ provider: 'github', lastTest: tested('valid') }),
          token({ provider: 'openai' }),
          token({ provider: 'anthropic', lastTest: tested('unreachable') }),
        ],
      },
      NOW,
    );
    assert.equal(v.text, '$(key) GitHub $(check) OpenAI $(question) Anthropic $(debug-disconnect)');
    assert.equal(v.warning, false);
    assert.match(v.tooltip, /signed in as alice/);
    assert.match(v.tooltip, /GitHub …1234: valid \(alice\)/);
    assert.match(v.tooltip, /OpenAI …1234: not tested yet/);
  });

  it('warns when a token failed its last test', () => {
    const v = renderStatus(
      {
        signedIn: true,
        username: 'a',
        tokens: [token({ provider: 'github', lastTest: tested('invalid') })],
      },
      NOW,
    );
    assert.equal(v.text, '$(warning) GitHub $(error)');
    assert.equal(v.warning, true);
    assert.match(v.tooltip, /Failed last test: GitHub/);
  });

  it('warns when a token expires within 7 days, not at 8', () => {
    const soon = renderStatus(
      {
        signedIn: true,
        username: 'a',
        tokens: [token({ provider: 'github', expiresAt: inDays(6), lastTest: tested('valid') })],
      },
      NOW,
    );
    assert.equal(soon.warning, true);
    assert.ok(soon.text.startsWith('$(warning)'));
    assert.match(soon.tooltip, /expires in 6 days/);
    assert.match(soon.tooltip, /Expiring within 7 days: GitHub/);

    const later = renderStatus(
      {
        signedIn: true,
        username: 'a',
        tokens: [token({ provider: 'github', expiresAt: inDays(8), lastTest: tested('valid') })],
      },
      NOW,
    );
    assert.equal(later.warning, false);
    assert.ok(later.text.startsWith('$(key)'));
  });

  it('an already expired token warns and says EXPIRED', () => {
    const v = renderStatus(
      {
        signedIn: true,
        username: 'a',
        tokens: [token({ provider: 'gitlab', expiresAt: inDays(-2) })],
      },
      NOW,
    );
    assert.equal(v.warning, true);
    assert.match(v.tooltip, /EXPIRED/);
  });

  it('the item shows the rendering, with the warning colour only while warning, and opens the view', () => {
    const item: StatusBarItemLike<string> = {
      text: '',
      tooltip: undefined,
      command: undefined,
      backgroundColor: undefined,
      name: undefined,
      show() {},
      dispose() {},
    };
    const bar = new StatusBar(item, 'WARN', 'xaresCredentials.open');
    assert.equal(item.command, 'xaresCredentials.open');
    assert.equal(item.text, '$(key) Credentials: signed out');
    bar.update(
      {
        signedIn: true,
        username: 'a',
        tokens: [token({ provider: 'github', lastTest: tested('invalid') })],
      },
      NOW,
    );
    assert.equal(item.backgroundColor, 'WARN');
    bar.update(
      {
        signedIn: true,
        username: 'a',
        tokens: [token({ provider: 'github', lastTest: tested('valid') })],
      },
      NOW,
    );
    assert.equal(item.backgroundColor, undefined);
    assert.equal(item.text, '$(key) GitHub $(check)');
  });
});
