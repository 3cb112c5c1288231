import assert from 'node:assert/strict';
import {
  command,
  GetState,
  isAnyRequest,
  isCommand,
  isNotification,
  isRequest,
  isResponse,
  notification,
  Ready,
  request,
  SaveToken,
  StateChanged,
} from '../../protocol/messages';
import { tierSuite } from '../support/tiers';

tierSuite('unit', 'webview protocol guards', () => {
  it('recognises each kind by kind and method', () => {
    const ready = command(Ready, undefined);
    assert.equal(isCommand(ready, Ready), true);
    assert.equal(isCommand(ready, GetState), false);
    const req = request(GetState, 1, undefined);
    assert.equal(isRequest(req, GetState), true);
    assert.equal(isRequest(req, SaveToken), false);
    assert.equal(isCommand(req, Ready), false);
    const note = notification(StateChanged, { signedIn: false, serviceUrl: 'u', message: null });
    assert.equal(isNotification(note, StateChanged), true);
    assert.equal(isRequest(note, StateChanged), false);
  });

  it('rejects malformed requests', () => {
    for (const m of [
      null,
      undefined,
      'request',
      [],
      { kind: 'request', method: 'state/get' },
      { kind: 'request', id: '1', method: 'state/get' },
      { kind: 'request', id: 1.5, method: 'state/get' },
      { kind: 'request', id: 1, method: 5 },
    ]) {
      assert.equal(isAnyRequest(m), false, JSON.stringify(m));
    }
  });

  it('accepts responses with a result or a string error only', () => {
    assert.equal(isResponse({ kind: 'response', id: 1, ok: true, result: null }), true);
    assert.equal(isResponse({ kind: 'response', id: 1, ok: false, error: 'x' }), true);
    assert.equal(isResponse({ kind: 'response', id: 1, ok: true }), false);
    assert.equal(isResponse({ kind: 'response', id: 1, ok: false, error: { stack: 'x' } }), false);
    assert.equal(isResponse({ kind: 'response', ok: true, result: 1 }), false);
  });
});
