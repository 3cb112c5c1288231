// AI usage: what the service's gateway recorded for the user (`ai.usage`), per provider and
// model, today and this month. Loaded with the view (each time it opens) and on Refresh.
import { GetAiUsage } from '../../protocol/messages';
import type { AiUsageView } from '../../protocol/model';
import { usageLines } from '../../protocol/viewModel';
import { button, h } from '../dom';
import type { Ctx } from '../dom';

function table(id: string, caption: string, usage: AiUsageView & { available: true }) {
  const lines = usageLines(id === 'today' ? usage.today : usage.month);
  if (!lines.length) {
    return h('p', { class: 'muted', id: `ai-usage-${id}` }, `${caption}: no AI requests.`);
  }
  return h(
    'table',
    { class: 'usage', id: `ai-usage-${id}` },
    h('caption', {}, caption),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...['Provider · model', 'Requests', 'Tokens'].map((c) => h('th', { scope: 'col' }, c)),
      ),
    ),
    h(
      'tbody',
      {},
      ...lines.map((l) =>
        h(
          'tr',
          { class: l.provider === 'Total' ? 'total' : '' },
          h(
            'td',
            {},
            h('span', { class: 'usage-provider' }, l.provider),
            l.model ? h('span', { class: 'usage-model mono' }, l.model) : null,
          ),
          h('td', {}, l.requests),
          h('td', {}, l.tokens),
        ),
      ),
    ),
  );
}

function body(usage: AiUsageView): HTMLElement {
  if (!usage.available) return h('p', { class: 'muted', id: 'ai-usage-unavailable' }, usage.reason);
  return h(
    'div',
    { class: 'stack' },
    table('today', `Today (since ${usage.todaySince.slice(0, 10)} UTC)`, usage),
    table('month', `This month (since ${usage.monthSince.slice(0, 10)} UTC)`, usage),
  );
}

export function usagePanel(ctx: Ctx): HTMLElement {
  const holder = h('div', { id: 'ai-usage-body' }, body(ctx.state.aiUsage));
  return h(
    'div',
    { class: 'usage-panel', id: 'ai-usage', role: 'region', 'aria-label': 'AI usage' },
    h('h3', {}, 'Usage through the AI gateway'),
    holder,
    h(
      'div',
      { class: 'actions' },
      button('Refresh Usage', { id: 'ai-usage-refresh', secondary: true }, (b) =>
        ctx.run(b, 'Loading AI usage…', async () => {
          holder.replaceChildren(body(await ctx.host.request(GetAiUsage, undefined)));
          ctx.announce('AI usage refreshed.');
        }),
      ),
    ),
  );
}
