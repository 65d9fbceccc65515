/**
 * Tests of the tunnel-route resolver through the whole calculation graph: VTEPs from Nodes,
 * remote workload routes for encapsulated pools only, CrossSubnet's same-subnet judgement, and
 * withdrawal when pools, endpoints or Nodes change. The mock dataplane checks message order.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';

import type { Resource } from '@percale/api';
import type { WatchEvent } from '@percale/datastore';
import { CalcGraph } from './calc-graph.ts';
import { MockDataplane } from './testing/mock-dataplane.ts';
import { clusterResource, del, HOST, port, put } from './testing/resources.ts';
import { sha1 } from './sha1.ts';
import { vtepMACForNode } from './tunnel-route-resolver.ts';

function node(name: string, ipv4: string | undefined, extra: Record<string, unknown> = {}): Resource {
  return clusterResource('Node', name, { ...(ipv4 ? { bgp: { ipv4Address: ipv4 } } : {}), ...extra });
}

function pool(name: string, cidr: string, spec: Record<string, unknown> = {}): Resource {
  return clusterResource('IPPool', name, { cidr, ipipMode: 'Never', vxlanMode: 'Never', natOutgoing: false, blockSize: 26, nodeSelector: 'all()', ...spec });
}

function graph(events: WatchEvent[]): { calc: CalcGraph; dp: MockDataplane } {
  const calc = new CalcGraph({ hostname: HOST });
  const dp = new MockDataplane();
  for (const e of events) calc.onUpdate(e);
  calc.onInSync();
  dp.apply(calc.flush());
  return { calc, dp };
}

function step(calc: CalcGraph, dp: MockDataplane, ...events: WatchEvent[]): void {
  for (const e of events) calc.onUpdate(e);
  dp.apply(calc.flush());
}

const local = node(HOST, '10.0.0.1/24', { ipv4VXLANTunnelAddr: '10.65.255.1' });
const sameSubnet = node('compute-2', '10.0.0.2/24', { ipv4VXLANTunnelAddr: '10.65.255.2', vxlanTunnelMACAddr: '66:AA:BB:CC:DD:EE' });
const otherSubnet = node('compute-3', '10.0.1.3/24', { ipv4VXLANTunnelAddr: '10.65.255.3' });
const vmLocal = port('a1', { ips: ['10.65.0.2/32'] });
const vmSame = port('b1', { host: 'compute-2', ips: ['10.65.0.3/32', 'fd00::3/128'] });
const vmOther = port('c1', { host: 'compute-3', ips: ['10.65.0.4/32'] });

describe('TunnelRouteResolver', () => {
  it('vtepMACForNode() is Felix\'s derived MAC: 0x66 then SHA-1 of the name', () => {
    // sha1("a") = 86f7e437fa…
    assert.match(vtepMACForNode('compute-1'), /^66(:[0-9a-f]{2}){5}$/);
    assert.equal(vtepMACForNode('a'), '66:86:f7:e4:37:fa');
  });

  it('sha1() equals node:crypto\'s SHA-1 across block boundaries and UTF-8', () => {
    for (const text of ['', 'a', 'compute-1', 'x'.repeat(55), 'y'.repeat(56), 'z'.repeat(64), 'ü'.repeat(100)]) {
      assert.equal(Buffer.from(sha1(text)).toString('hex'), createHash('sha1').update(text).digest('hex'), JSON.stringify(text));
    }
  });

  it('sends a VTEP for every Node with a BGP IPv4 address and a tunnel address, MAC derived when unset', () => {
    const { dp } = graph([put(local), put(sameSubnet), put(node('compute-4', '10.0.0.4/24'))]);
    assert.deepEqual(dp.state().vteps, {
      [HOST]: { node: HOST, parentDeviceIP: '10.0.0.1', ipv4Addr: '10.65.255.1', mac: vtepMACForNode(HOST) },
      'compute-2': { node: 'compute-2', parentDeviceIP: '10.0.0.2', ipv4Addr: '10.65.255.2', mac: '66:aa:bb:cc:dd:ee' },
    });
  });

  it('routes remote IPv4 workload addresses of a VXLAN pool, never local ones, and nothing for plain pools', () => {
    const { calc, dp } = graph([put(local), put(sameSubnet), put(otherSubnet), put(pool('p', '10.65.0.0/16')), put(vmLocal), put(vmSame), put(vmOther)]);
    assert.deepEqual(dp.state().routes, {});
    step(calc, dp, put(pool('p', '10.65.0.0/16', { vxlanMode: 'Always' }), true));
    assert.deepEqual(dp.state().routes, {
      '10.65.0.3/32': { cidr: '10.65.0.3/32', dstNode: 'compute-2', dstNodeIP: '10.0.0.2', encap: 'vxlan', sameSubnet: false },
      '10.65.0.4/32': { cidr: '10.65.0.4/32', dstNode: 'compute-3', dstNodeIP: '10.0.1.3', encap: 'vxlan', sameSubnet: false },
    });
  });

  it('CrossSubnet marks routes to hosts on this Node\'s subnet as same-subnet', () => {
    const { dp } = graph([put(local), put(sameSubnet), put(otherSubnet), put(pool('p', '10.65.0.0/16', { vxlanMode: 'CrossSubnet' })), put(vmSame), put(vmOther)]);
    const routes = dp.state().routes;
    assert.deepEqual(Object.values(routes).map((r) => [r.cidr, r.sameSubnet]), [['10.65.0.3/32', true], ['10.65.0.4/32', false]]);
  });

  it('withdraws routes when the pool stops encapsulating, the endpoint goes or moves here, and follows Node changes', () => {
    const { calc, dp } = graph([put(local), put(sameSubnet), put(pool('p', '10.65.0.0/16', { vxlanMode: 'Always' })), put(vmSame), put(vmOther)]);
    assert.deepEqual(Object.keys(dp.state().routes), ['10.65.0.3/32', '10.65.0.4/32']);
    // compute-3 has no Node yet: the route has no node address.
    assert.equal(dp.state().routes['10.65.0.4/32']!.dstNodeIP, undefined);
    step(calc, dp, put(otherSubnet));
    assert.equal(dp.state().routes['10.65.0.4/32']!.dstNodeIP, '10.0.1.3');
    step(calc, dp, del(vmOther));
    assert.deepEqual(Object.keys(dp.state().routes), ['10.65.0.3/32']);
    step(calc, dp, put(port('b1', { host: HOST, ips: ['10.65.0.3/32'] }), true));
    assert.deepEqual(dp.state().routes, {});
    step(calc, dp, put(vmOther));
    assert.deepEqual(Object.keys(dp.state().routes), ['10.65.0.4/32']);
    step(calc, dp, put(pool('p', '10.65.0.0/16', { ipipMode: 'Always' }), true));
    assert.equal(dp.state().routes['10.65.0.4/32']!.encap, 'ipip');
    step(calc, dp, put(pool('p', '10.65.0.0/16'), true));
    assert.deepEqual(dp.state().routes, {});
    step(calc, dp, put(pool('p', '10.65.0.0/16', { vxlanMode: 'Always' }), true), del(pool('p', '10.65.0.0/16')));
    assert.deepEqual(dp.state().routes, {});
    step(calc, dp, put(node('compute-2', '10.0.0.2/24'), true));
    assert.deepEqual(Object.keys(dp.state().vteps), [HOST, 'compute-3']);
  });

  it('picks the most specific pool and, for a duplicate address, the endpoint with the smallest key', () => {
    const { dp } = graph([
      put(local), put(pool('wide', '10.65.0.0/16', { vxlanMode: 'Always' })), put(pool('narrow', '10.65.0.0/24')),
      put(vmSame), put(port('d1', { host: 'compute-3', ips: ['10.65.1.9/32'] })), put(port('e1', { host: 'compute-2', ips: ['10.65.1.9/32'] })),
    ]);
    // 10.65.0.3 is in the unencapsulated /24; 10.65.1.9 only in the VXLAN /16, claimed by two endpoints
    // (keys `…/compute--2-…` < `…/compute--3-…`).
    assert.deepEqual(Object.values(dp.state().routes).map((r) => `${r.cidr}@${r.dstNode}`), ['10.65.1.9/32@compute-2']);
  });

  it('sends no route messages when Nodes only change their tunnel address or MAC', () => {
    const { calc, dp } = graph([put(local), put(sameSubnet), put(otherSubnet), put(pool('p', '10.65.0.0/16', { vxlanMode: 'Always' })), put(vmSame), put(vmOther)]);
    const tunnelTypes = (from: number) => dp.log.slice(from).map((m) => m.type).filter((t) => t.startsWith('route-') || t.startsWith('vtep-')).sort();
    let before = dp.log.length;
    step(calc, dp, put(node('compute-3', '10.0.1.3/24', { ipv4VXLANTunnelAddr: '10.65.255.33', vxlanTunnelMACAddr: '66:00:00:00:00:33' }), true));
    assert.deepEqual(tunnelTypes(before), ['vtep-update']);
    before = dp.log.length;
    step(calc, dp, put(node('compute-3', '10.0.0.3/24', { ipv4VXLANTunnelAddr: '10.65.255.33' }), true));
    assert.deepEqual(tunnelTypes(before), ['route-update', 'vtep-update']);
    assert.equal(dp.state().routes['10.65.0.4/32']!.dstNodeIP, '10.0.0.3');
  });
});
