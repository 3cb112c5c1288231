import assert from 'node:assert/strict';
import { renderStatus } from '../../extension/statusBar';
import type { TokenView } from '../../protocol/model';
import {
  aiKeyRows,
  AI_KEY_DELIVERY_TEXT,
  gitTokenRows,
  registrationLines,
  usageLines,
} from '../../protocol/viewModel';
import { tierSuite } from '../support/tiers';

const NOW = new Date('2026-11-25T10:00:00.000Z');
const at = (days: number) => new Date(NOW.getTime() + days * 86_400_000 + 3_600_000).toISOString();

function token(p: Partial<TokenView> & Pick<TokenView, 'id' | 'provider'>): TokenView {
  return {
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

tierSuite('unit', 'Credentials view model (issues 13 and 14)', () => {
  it('lists every git token, several per provider and host, default first', () => {
    const rows = gitTokenRows(
      [
        token({ id: '1', provider: 'forgejo', name: 'default', url: 'https://codeberg.org' }),
        token({ id: '2', provider: 'github', name: 'work', pathPrefix: 'acme', username: 'al-w' }),
        token({ id: '3', provider: 'github', name: 'default', username: 'al', source: 'oauth' }),
        token({ id: '4', provider: 'forgejo', name: 'company', url: 'https://git.acme.test:3000' }),
        token({ id: '5', provider: 'openai' }),
      ],
      NOW,
    );
    assert.deepEqual(
      rows.map((r) => [r.title, r.host, r.scope, r.source]),
      [
        ['GitHub · default', 'github.com', 'every repository', 'OAuth'],
        ['GitHub · work', 'github.com', 'acme/*', 'pasted'],
        ['Forgejo · default', 'codeberg.org', 'every repository', 'pasted'],
        ['Forgejo · company', 'git.acme.test:3000', 'every repository', 'pasted'],
      ],
    );
    assert.equal(rows[1]?.account, 'al-w');
  });

  it('says when a token expires or expired, and how its last test went', () => {
    const [soon, past, later] = gitTokenRows(
      [
        token({ id: 'a', provider: 'github', name: 'a', expiresAt: at(2) }),
        token({ id: 'b', provider: 'github', name: 'b', expiresAt: at(-1) }),
        token({
          id: 'c',
          provider: 'github',
          name: 'c',
          expiresAt: at(40),
          lastTest: { status: 'invalid', detail: 'Bad credentials', checkedAt: NOW.toISOString() },
        }),
      ],
      NOW,
    );
    assert.deepEqual(soon?.expiry, { text: 'expires in 2 days', level: 'pending' });
    assert.deepEqual(past?.expiry, { text: 'expired', level: 'bad' });
    assert.equal(later?.expiry.text, `expires ${at(40).slice(0, 10)}`);
    assert.deepEqual(later?.test, {
      text: '✗ invalid: Bad credentials (2026-11-25 10:00 UTC)',
      level: 'bad',
    });
  });

  it('a refused renewal asks to reconnect in the row and in the status bar', () => {
    const failed = token({
      id: 'r',
      provider: 'github',
      source: 'oauth',
      needsReconnect: true,
      lastTest: { status: 'invalid', detail: 'reconnect GitHub', checkedAt: NOW.toISOString() },
    });
    const other = token({ id: 'o', provider: 'github', name: 'work' });
    assert.equal(gitTokenRows([failed], NOW)[0]?.reconnect, 'github');
    assert.equal(gitTokenRows([other], NOW)[0]?.reconnect, null);
    // Not the default token of its provider, still named in the status bar.
    const status = renderStatus(
      {
        signedIn: true,
        username: 'al',
        tokens: [
          { ...other, name: 'default' },
          { ...failed, name: 'work' },
        ],
      },
      NOW,
    );
    assert.match(status.text, /^\$\(warning\) reconnect GitHub /);
    assert.match(status.tooltip, /Reconnect GitHub: the sign-in could not be renewed\./);
    const fine = renderStatus({ signedIn: true, username: 'al', tokens: [other] }, NOW);
    assert.doesNotMatch(fine.text, /reconnect/);
  });

  it('lists AI keys, a custom OpenAI-compatible provider with its URL and variable', () => {
    const rows = aiKeyRows([
      token({
        id: 'm',
        provider: 'custom',
        name: 'MISTRAL_API_KEY',
        envVar: 'MISTRAL_API_KEY',
        url: 'https://api.mistral.ai/v1',
      }),
      token({ id: 'a', provider: 'anthropic' }),
      token({ id: 'g', provider: 'github' }),
    ]);
    assert.deepEqual(
      rows.map((r) => [r.title, r.host, r.envVar]),
      [
        ['Anthropic', 'api.anthropic.com', null],
        ['Custom · MISTRAL_API_KEY', 'api.mistral.ai', 'MISTRAL_API_KEY'],
      ],
    );
  });

  it('usage lines: busiest first, failures and a total', () => {
    const lines = usageLines([
      {
        provider: 'openai',
        model: 'gpt-5',
        requests: 2,
        failed: 0,
        inputTokens: 10,
        outputTokens: 5,
      },
      {
        provider: 'anthropic',
        model: 'claude-sonnet-4-5',
        requests: 1200,
        failed: 3,
        inputTokens: 1_500_000,
        outputTokens: 20_000,
      },
      { provider: 'google', model: null, requests: 1, failed: 1, inputTokens: 0, outputTokens: 0 },
    ]);
    assert.deepEqual(lines, [
      {
        provider: 'Anthropic',
        model: 'claude-sonnet-4-5',
        requests: '1,200 (3 failed)',
        tokens: '1,500,000 in / 20,000 out',
      },
      { provider: 'OpenAI', model: 'gpt-5', requests: '2', tokens: '10 in / 5 out' },
      {
        provider: 'Google AI',
        model: '(model not reported)',
        requests: '1 (1 failed)',
        tokens: '0 in / 0 out',
      },
      {
        provider: 'Total',
        model: '',
        requests: '1,203 (4 failed)',
        tokens: '1,500,010 in / 20,005 out',
      },
    ]);
    assert.deepEqual(usageLines([]), []);
  });

  it('shows authentication and signing registrations of one provider on their own lines', () => {
    const lines = registrationLines(
      [
        { provider: 'github', status: 'registered', checkedAt: null, usage: 'authentication' },
        { provider: 'github', status: 'error', checkedAt: null, usage: 'signing' },
        { provider: 'gitlab', status: 'registered', checkedAt: null, usage: 'both' },
        // An older service records no usage: that was an authentication key.
        { provider: 'forgejo', status: 'already_registered', checkedAt: null, usage: null },
      ],
      'github',
    );
    assert.deepEqual(lines, [
      { usage: 'authentication', status: '✓ registered', level: 'ok' },
      { usage: 'signing', status: '✗ error', level: 'bad' },
    ]);
    assert.deepEqual(
      registrationLines(
        [{ provider: 'forgejo', status: 'already_registered', checkedAt: null, usage: null }],
        'forgejo',
      ),
      [{ usage: 'authentication', status: '✓ registered', level: 'ok' }],
    );
  });

  it('explains both AI key delivery modes in one line each', () => {
    for (const mode of ['gateway', 'environment'] as const) {
      assert.ok(AI_KEY_DELIVERY_TEXT[mode].explain.length < 200);
      assert.doesNotMatch(AI_KEY_DELIVERY_TEXT[mode].explain, /\n/);
    }
    assert.match(AI_KEY_DELIVERY_TEXT.gateway.explain, /never enter the container/);
    assert.match(AI_KEY_DELIVERY_TEXT.environment.explain, /~\/\.env/);
  });
});
