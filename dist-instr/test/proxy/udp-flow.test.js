// A UDP flow's state machine, on its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FLOW_TRANSITIONS } from '../../src/proxy/udp-flow.js';
test('the flow state machine: held → connecting → open, refused back to held, closed from anywhere, nothing after closed', () => {
    assert.equal(FLOW_TRANSITIONS.held.connect, 'connecting');
    assert.equal(FLOW_TRANSITIONS.connecting.connected, 'open');
    assert.equal(FLOW_TRANSITIONS.open.refused, 'held');
    assert.equal(FLOW_TRANSITIONS.connecting.refused, undefined, 'only an open flow learns the port is closed');
    assert.equal(FLOW_TRANSITIONS.open.connect, undefined);
    for (const phase of ['held', 'connecting', 'open'])
        assert.equal(FLOW_TRANSITIONS[phase].closed, 'closed');
    assert.deepEqual(FLOW_TRANSITIONS.closed, {});
});
//# sourceMappingURL=udp-flow.test.js.map