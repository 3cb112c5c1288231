// protocol/wording.ts: the provider names and the expiry text the status bar, the palette and the
// Credentials view share (issue 12: they were declared five and three times, and had drifted:
// the status bar said "Google" where the view said "Google AI").
import assert from 'node:assert/strict';
import { renderStatus } from '../../extension/statusBar';
import type { TokenView } from '../../protocol/model';
import { gitTokenRows } from '../../protocol/viewModel';
import { expiryText, PROVIDER_LABELS, providerName, providerRank } from '../../protocol/wording';
import { AI_PROVIDERS, GIT_PROVIDERS } from '../../service/vocabulary';
import { tierSuite } from '../support/tiers';

const NOW = new Date('2026-11-25T10:00:00.000Z');
const at = (days: number) => new Date(NOW.getTime() + days * 86_400_000 + 3_600_000).toISOString();

tierSuite('unit', 'protocol wording: provider names and expiry text', () => {
  it('names every provider the service knows, once, git providers before AI providers', () => {
    const known = [...GIT_PROVIDERS, ...AI_PROVIDERS];
    assert.deepEqual(Object.keys(PROVIDER_LABELS).sort(), [...known].sort());
    for (const p of known) assert.ok(PROVIDER_LABELS[p].trim(), p);
    assert.equal(new Set(Object.values(PROVIDER_LABELS)).size, known.length, 'labels unique');
    const lastGit = Math.max(...GIT_PROVIDERS.map(providerRank));
    const firstAi = Math.min(...AI_PROVIDERS.map(providerRank));
    assert.ok(lastGit < firstAi, 'git providers sort first');
    assert.equal(providerName('github'), 'GitHub');
    assert.equal(providerName('google'), 'Google AI');
  });

  it('shows a word it does not know as sent, and is not fooled by Object.prototype', () => {
    assert.equal(providerName('bitbucket'), 'bitbucket');
    assert.equal(providerName('toString'), 'toString');
    assert.equal(providerName('__proto__'), '__proto__');
    assert.equal(providerRank('bitbucket'), -1);
  });

  it('reads an expiry as none, expired, within the warning days, or a date', () => {
    assert.deepEqual(expiryText(null, NOW), { state: 'none', text: 'no expiry', level: 'muted' });
    assert.deepEqual(expiryText('not a date', NOW), {
      state: 'none',
      text: 'no expiry',
      level: 'muted',
    });
    assert.deepEqual(expiryText(at(-1), NOW), { state: 'expired', text: 'expired', level: 'bad' });
    assert.deepEqual(expiryText(at(0), NOW), {
      state: 'soon',
      text: 'expires in 0 days',
      level: 'pending',
    });
    assert.equal(expiryText(at(1), NOW).text, 'expires in 1 day');
    assert.equal(expiryText(at(6), NOW).text, 'expires in 6 days');
    assert.deepEqual(expiryText(at(7), NOW), {
      state: 'later',
      text: `expires ${at(7).slice(0, 10)}`,
      level: 'muted',
    });
  });

  it('the status bar and the view say the same name and the same expiry', () => {
    const t: TokenView = {
      id: '1',
      type: 'ai_token',
      provider: 'google',
      name: 'default',
      username: null,
      url: null,
      envVar: null,
      pathPrefix: null,
      source: 'pasted',
      needsReconnect: false,
      hint: '…1234',
      expiresAt: at(3),
      updatedAt: NOW.toISOString(),
      lastTest: null,
    };
    const status = renderStatus({ signedIn: true, username: 'al', tokens: [t] }, NOW);
    assert.match(status.text, /Google AI/);
    assert.match(status.tooltip, /Google AI …1234: not tested yet; expires in 3 days/);
    const [row] = gitTokenRows([{ ...t, type: 'git_token', provider: 'gitlab' }], NOW);
    assert.equal(row?.title, 'GitLab · default');
    assert.deepEqual(row?.expiry, { text: 'expires in 3 days', level: 'pending' });
  });
});
