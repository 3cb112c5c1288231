// Audit log: recent entries (action, outcome, credential, workspace, time) in a real table for
// screen readers, a filter by action, and export as JSON or CSV through the host's save dialog.
import { ExportAudit, ListAudit } from '../../protocol/messages';
import { AUDIT_ACTION_LABELS, AUDIT_ACTIONS, isAuditAction } from '../../protocol/model';
import type { AuditAction, AuditEntryView } from '../../protocol/model';
import { button, formatTime, h, section } from '../dom';
import type { Ctx } from '../dom';

/** Time of day for today's entries, else the date: the full time is in the cell's title. */
function shortTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const sameDay = d.toDateString() === new Date().toDateString();
  return sameDay
    ? d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' })
    : d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
}

function rows(entries: AuditEntryView[]): HTMLElement {
  if (!entries.length) {
    return h('tbody', {}, h('tr', {}, h('td', { colspan: '5', class: 'muted' }, 'No entries.')));
  }
  return h(
    'tbody',
    {},
    ...entries.map((e) =>
      h(
        'tr',
        { class: `audit-row outcome-${e.outcome}` },
        h('td', { title: formatTime(e.timestamp) }, shortTime(e.timestamp)),
        h('td', { class: 'audit-action' }, e.action),
        h('td', {}, e.outcome),
        h('td', {}, [e.provider, e.name].filter(Boolean).join(' / ') || e.credentialType || '—'),
        // Container ids are 64 hex digits; 12 is what `docker ps` shows.
        h(
          'td',
          { title: e.workspaceId ?? '' },
          e.workspaceId && /^[0-9a-f]{64}$/.test(e.workspaceId)
            ? e.workspaceId.slice(0, 12)
            : (e.workspaceId ?? '—'),
        ),
      ),
    ),
  );
}

/** The action the user filters by; survives re-renders of the view. */
let chosenAction: AuditAction | '' = '';

export function auditSection(ctx: Ctx): HTMLElement {
  const entries = ctx.state.audit;
  if (!entries) {
    return section(
      'audit',
      'Audit Log',
      h('p', { class: 'muted' }, 'Not available to a workspace session.'),
    );
  }
  const table = h(
    'table',
    { id: 'audit-table', class: 'audit' },
    h('caption', { class: 'sr-only' }, 'Recent credential activity'),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...['Time', 'Action', 'Outcome', 'Credential', 'Workspace'].map((c) =>
          h('th', { scope: 'col' }, c),
        ),
      ),
    ),
    rows(entries),
  );
  // A native select: vscode-single-select reports transient values while it sets up, which
  // would reset the user's filter on every re-render; this one is styled with the theme's
  // dropdown colours instead and is just as keyboard- and screen-reader-friendly.
  const filter = h(
    'select',
    { id: 'audit-filter', class: 'dropdown' },
    h('option', { value: '', selected: !chosenAction }, 'All actions'),
    ...AUDIT_ACTIONS.map((a) =>
      h('option', { value: a, selected: a === chosenAction }, AUDIT_ACTION_LABELS[a]),
    ),
  ) as HTMLSelectElement;
  const load = (action: AuditAction | '') =>
    ctx.run(filter, 'Loading audit entries…', async () => {
      const list = await ctx.host.request(ListAudit, action ? { action } : {});
      table.querySelector('tbody')?.replaceWith(rows(list));
      ctx.announce(`${list.length} audit entries${action ? ` for ${action}` : ''}.`);
    });
  filter.addEventListener('change', () => {
    chosenAction = isAuditAction(filter.value) ? filter.value : '';
    void load(chosenAction);
  });
  if (chosenAction) {
    // The view re-renders after every change; keep the user's filter across that.
    table
      .querySelector('tbody')
      ?.replaceWith(rows(entries.filter((e) => e.action === chosenAction)));
    // Quietly: this refresh is the view's doing, not the user's.
    const action = chosenAction;
    void ctx.host
      .request(ListAudit, { action })
      .then((list) => table.querySelector('tbody')?.replaceWith(rows(list)))
      .catch(() => undefined);
  }
  const exportAs = (format: 'json' | 'csv') =>
    button(
      `Export ${format.toUpperCase()}`,
      { id: `audit-export-${format}`, secondary: true },
      (b) =>
        ctx.run(b, 'Exporting audit log…', async () => {
          const where = await ctx.host.request(ExportAudit, { format });
          if (where) ctx.announce(`Audit log saved to ${where}`);
        }),
    );
  return section(
    'audit',
    'Audit Log',
    h(
      'div',
      { class: 'actions' },
      h('label', { for: 'audit-filter' }, 'Filter by action'),
      filter,
      exportAs('json'),
      exportAs('csv'),
    ),
    h('div', { class: 'table-wrap' }, table),
  );
}
