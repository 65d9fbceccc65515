import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateResource } from '../validation/validate-resource.ts';
import { encodeResource } from './codec.ts';
import { decodeResource } from './decode-resource.ts';
import type { Resource } from './types.ts';

test('encodeResource() round-trips a Node as calico/node writes it, status always present', () => {
  const text = '{"kind":"Node","apiVersion":"projectcalico.org/v3","metadata":{"name":"compute-1","creationTimestamp":"2026-01-02T03:04:05Z"},' +
    '"spec":{"bgp":{"asNumber":64512,"ipv4Address":"192.0.2.11/24","ipv4IPIPTunnelAddr":"10.65.12.1"},' +
    '"ipv4VXLANTunnelAddr":"10.65.12.2","vxlanTunnelMACAddr":"66:f2:07:a5:b2:01",' +
    '"orchRefs":[{"nodeName":"compute-1","orchestrator":"openstack"}],' +
    '"addresses":[{"address":"192.0.2.11","type":"InternalIP"}]},' +
    '"status":{"wireguardPublicKey":"jlkVyQYooZYzI2wFfNhSZez5eWh44yfq1wKVjLvSXgY="}}';
  const { resource, errors } = decodeResource(JSON.parse(text));
  assert.deepEqual(errors, []);
  assert.equal(encodeResource(resource!), text);
  assert.deepEqual(validateResource(resource!), []);
  const bare: Resource = { apiVersion: 'projectcalico.org/v3', kind: 'Node', metadata: { name: 'n' }, spec: {} };
  assert.match(encodeResource(bare), /"spec":\{\},"status":\{\}\}$/);
});

test('validateResource() rejects an empty Node BGP section and wrong address families', () => {
  const node = (spec: Record<string, unknown>): Resource => ({ apiVersion: 'projectcalico.org/v3', kind: 'Node', metadata: { name: 'n' }, spec });
  assert.deepEqual(validateResource(node({ bgp: {} })).map((e) => `${e.field}: ${e.reason}`), ['spec.bgp: Spec.BGP should not be empty']);
  assert.deepEqual(validateResource(node({ bgp: { asNumber: 0 } })), []);
  assert.deepEqual(validateResource(node({ ipv6VXLANTunnelAddr: '10.0.0.1', addresses: [{ address: '' }, { address: '192.0.2.11/24' }] })).map((e) => e.field),
    ['spec.ipv6VXLANTunnelAddr', 'spec.addresses[0].address', 'spec.addresses[1].address']);
});
