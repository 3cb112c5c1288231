// Issue 12's drift bug: the webview's audit filter lacked actions the service records (`settings`
// was in the user's own log but not in the filter). The view takes its list from the service's
// vocabulary now; these tests hold it to every action the service can record.
import assert from 'node:assert/strict';
import { AUDIT_ACTION_LABELS, AUDIT_ACTIONS, isAuditAction } from '../../protocol/model';
import { AuditActionSchema } from '../../service/api/audit';
import * as vocabulary from '../../service/vocabulary';
import { tierSuite } from '../support/tiers';

tierSuite('unit', 'webview audit actions', () => {
  it('the webview knows every audit action the service can record', () => {
    const known = new Set<string>(AUDIT_ACTIONS);
    const recorded = new Set<string>([...AuditActionSchema.options, ...vocabulary.AUDIT_ACTIONS]);
    const missing = [...recorded].filter((a) => !known.has(a));
    assert.deepEqual(missing, [], `the webview's audit filter lacks: ${missing.join(', ')}`);
    for (const a of ['settings', 'ai_request']) assert.ok(known.has(a), a);
  });

  it('offers no action the service does not know, each once, each with a label', () => {
    assert.deepEqual([...AUDIT_ACTIONS].sort(), [...vocabulary.AUDIT_ACTIONS].sort());
    assert.equal(new Set(AUDIT_ACTIONS).size, AUDIT_ACTIONS.length);
    for (const a of AUDIT_ACTIONS) assert.ok(AUDIT_ACTION_LABELS[a]?.trim(), a);
  });

  it('tells an audit action from any other string', () => {
    assert.equal(isAuditAction('settings'), true);
    assert.equal(isAuditAction('toString'), false, 'not fooled by Object.prototype');
    assert.equal(isAuditAction(''), false);
  });
});
