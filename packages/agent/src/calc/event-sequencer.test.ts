/**
 * Tests of the event sequencer's coalescing: at most one message per object per flush, nothing
 * for objects that came and went between flushes, removals only for what was sent.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { PolicyID, PolicyRules } from '../messages.ts';
import { EventSequencer } from './event-sequencer.ts';

const POLICY: PolicyID = { kind: 'GlobalNetworkPolicy', name: 'p' };
const RULES: PolicyRules = { tier: 'default', inbound: [], outbound: [], untracked: false, preDNAT: false, applyOnForward: false };

describe('EventSequencer', () => {
  it('EventSequencer sends a new IP set with its membership as of the flush', () => {
    const s = new EventSequencer();
    const members = new Map([['10.0.0.1/32', 1]]);
    s.onIPSetAdded('s:a', 'net', members);
    s.onIPSetMemberAdded('s:a', '10.0.0.2/32');
    members.set('10.0.0.2/32', 1);
    assert.deepEqual(s.flush(), [{ type: 'ipset-update', id: 's:a', setType: 'net', members: ['10.0.0.1/32', '10.0.0.2/32'] }]);
  });

  it('EventSequencer cancels a member added and removed between flushes', () => {
    const s = new EventSequencer();
    s.onIPSetAdded('s:a', 'net', new Map());
    s.flush();
    s.onIPSetMemberAdded('s:a', 'x');
    s.onIPSetMemberRemoved('s:a', 'x');
    s.onIPSetMemberRemoved('s:a', 'y');
    s.onIPSetMemberAdded('s:a', 'y');
    assert.deepEqual(s.flush(), []);
    s.onIPSetMemberRemoved('s:a', 'z');
    assert.deepEqual(s.flush(), [{ type: 'ipset-delta', id: 's:a', added: [], removed: ['z'] }]);
  });

  it('EventSequencer sends nothing for an IP set or policy that came and went between flushes', () => {
    const s = new EventSequencer();
    s.onIPSetAdded('s:a', 'net', new Map());
    s.onPolicyUpdate(POLICY, RULES);
    s.onPolicyRemove(POLICY);
    s.onIPSetRemoved('s:a');
    assert.deepEqual(s.flush(), []);
  });

  it('EventSequencer re-sends a removed and re-added IP set in full, without the removal', () => {
    const s = new EventSequencer();
    s.onIPSetAdded('s:a', 'net', new Map([['a', 1]]));
    s.flush();
    s.onIPSetRemoved('s:a');
    s.onIPSetAdded('s:a', 'net', new Map([['b', 1]]));
    assert.deepEqual(s.flush(), [{ type: 'ipset-update', id: 's:a', setType: 'net', members: ['b'] }]);
  });

  it('EventSequencer keeps only the last update of a policy and removes only what was sent', () => {
    const s = new EventSequencer();
    s.onPolicyUpdate(POLICY, RULES);
    s.onPolicyUpdate(POLICY, { ...RULES, tier: 'security' });
    assert.deepEqual(s.flush(), [{ type: 'policy-update', id: POLICY, policy: { ...RULES, tier: 'security' } }]);
    s.onPolicyRemove(POLICY);
    s.onPolicyRemove(POLICY);
    assert.deepEqual(s.flush(), [{ type: 'policy-remove', id: POLICY }]);
    s.onPolicyRemove(POLICY);
    assert.deepEqual(s.flush(), []);
  });

  it('EventSequencer sends in-sync once, after everything else', () => {
    const s = new EventSequencer();
    s.onInSync();
    s.onHostUpdate('h', '10.0.0.1', undefined);
    s.onConfigUpdate({ A: '1' });
    assert.deepEqual(s.flush().map((m) => m.type), ['config-update', 'host-update', 'in-sync']);
    s.onInSync();
    assert.deepEqual(s.flush(), []);
  });
});
