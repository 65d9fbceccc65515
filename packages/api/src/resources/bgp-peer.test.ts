import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateResource } from '../validation/validate-resource.ts';
import type { Resource } from './types.ts';

const reasons = (res: Resource) => validateResource(res).map((e) => `${e.field}: ${e.reason}`);

test('validateResource() checks BGPPeer addresses and the family of reachableBy', () => {
  const peer = (spec: Record<string, unknown>): Resource => ({ apiVersion: 'projectcalico.org/v3', kind: 'BGPPeer', metadata: { name: 'tor' }, spec });
  assert.deepEqual(reasons(peer({ peerIP: '[2001:db8::1]:1179', asNumber: 65001, reachableBy: '2001:db8::fe' })), []);
  assert.deepEqual(reasons(peer({ peerIP: '192.0.2.1:179', asNumber: 65001, reachableBy: '2001:db8::fe' })),
    ['spec.reachableBy: ReachableBy and PeerIP address family mismatched']);
  assert.deepEqual(reasons(peer({ peerIP: '192.0.2.1:0' })),
    ['spec.peerIP: peerIP must be "<IP>", "<IPv4>:<port>" or "[<IPv6>]:<port>" with a port of 1-65535']);
  assert.deepEqual(reasons(peer({ node: 'compute-1', peerIP: '192.0.2.1', asNumber: 65001, filters: ['export-pools'], ttlSecurity: 1 })), []);
});
