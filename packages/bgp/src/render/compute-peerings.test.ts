import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readNodes, readSettings } from './bgp-model.ts';
import { computePeerings, peeringName, type Peering } from './compute-peerings.ts';
import { bgpConfig, exampleA, exampleB, gatewayScenario, inputs, node, peer } from './testing/bgp-fixtures.ts';
import type { BgpInputs } from './render-bird-config.ts';

/** The peerings of `in_.nodeName`, computed as the renderer does. */
function peeringsOf(in_: BgpInputs): Peering[] {
  const nodes = readNodes(in_.nodes);
  const self = nodes.find((n) => n.name === in_.nodeName)!;
  return computePeerings({ self, nodes, peers: in_.peers, settings: readSettings(in_.configurations, in_.nodeName) });
}

/** `name passive?` per peering: the shape most assertions need. */
const summary = (ps: readonly Peering[]) => ps.map((p) => `${p.name}${p.passive ? ' passive' : ''}${p.rrClusterId ? ` rr-client(${p.rrClusterId})` : ''}`);

describe('peeringName()', () => {
  test('peeringName() replaces address separators and appends a non-default port', () => {
    assert.equal(peeringName('Mesh', '10.0.0.12'), 'Mesh_10_0_0_12');
    assert.equal(peeringName('Node', 'fd00::12', 1790), 'Node_fd00__12_port_1790');
    assert.equal(peeringName('Global', '10.0.0.1', 179), 'Global_10_0_0_1');
  });
});

describe('computePeerings() full mesh', () => {
  test('computePeerings() makes exactly one side of each mesh pair passive (the lower address)', () => {
    assert.deepEqual(summary(peeringsOf(exampleA('compute-1'))), ['Mesh_10_0_0_12 passive', 'Mesh_10_0_0_13 passive']);
    assert.deepEqual(summary(peeringsOf(exampleA('compute-2'))), ['Mesh_10_0_0_11', 'Mesh_10_0_0_13 passive']);
    assert.deepEqual(summary(peeringsOf(exampleA('compute-3'))), ['Mesh_10_0_0_11', 'Mesh_10_0_0_12']);
  });

  test('computePeerings() compares addresses as strings, as Calico does', () => {
    // "10.0.0.9" sorts after "10.0.0.10" as text although it is numerically smaller.
    const in_ = inputs('a', { nodes: [node('a', { ipv4Address: '10.0.0.10/24' }), node('b', { ipv4Address: '10.0.0.9/24' })] });
    assert.deepEqual(summary(peeringsOf(in_)), ['Mesh_10_0_0_9 passive']);
  });

  test('computePeerings() gives mesh sessions the peer AS, source address, mesh restart time and iBGP export', () => {
    const in_ = inputs('a', {
      nodes: [node('a', { ipv4Address: '10.0.0.1/24' }), node('b', { ipv4Address: '10.0.0.2/24', asNumber: 65001 })],
      configurations: [bgpConfig('default', { nodeMeshMaxRestartTime: '2m0s' }), bgpConfig('node.b', { listenPort: 1790 })],
    });
    const [p] = peeringsOf(in_);
    assert.deepEqual(p, {
      name: 'Mesh_10_0_0_2', kind: 'mesh', family: 4, address: '10.0.0.2', port: 1790, asNumber: 65001,
      internal: true, passive: true, sourceAddress: '10.0.0.1', restartTime: 120, filters: [],
    });
  });

  test('computePeerings() runs the mesh per family only where both nodes have an address of it', () => {
    const in_ = inputs('a', {
      nodes: [
        node('a', { ipv4Address: '10.0.0.1/24', ipv6Address: 'fd00::1/64' }),
        node('b', { ipv4Address: '10.0.0.2/24', ipv6Address: 'FD00:0::2/64' }),
        node('c', { ipv4Address: '10.0.0.3/24' }),
        node('d', {}),
      ],
    });
    assert.deepEqual(peeringsOf(in_).map((p) => `${p.family} ${p.name} ${p.sourceAddress}`), [
      '4 Mesh_10_0_0_2 10.0.0.1', '4 Mesh_10_0_0_3 10.0.0.1', '6 Mesh_fd00__2 fd00::1',
    ]);
  });

  test('computePeerings() leaves route reflectors out of the mesh, on both sides', () => {
    const nodes = [
      node('a', { ipv4Address: '10.0.0.1/24' }),
      node('b', { ipv4Address: '10.0.0.2/24' }),
      node('rr', { ipv4Address: '10.0.0.3/24', routeReflectorClusterID: '1.1.1.1' }),
    ];
    assert.deepEqual(summary(peeringsOf(inputs('a', { nodes }))), ['Mesh_10_0_0_2 passive']);
    assert.deepEqual(summary(peeringsOf(inputs('rr', { nodes }))), []);
  });

  test('computePeerings() runs no mesh when nodeToNodeMeshEnabled is false', () => {
    const in_ = { ...exampleA(), configurations: [bgpConfig('default', { nodeToNodeMeshEnabled: false })] };
    assert.deepEqual(peeringsOf(in_), []);
  });
});

describe('computePeerings() BGPPeer resources', () => {
  const three = [
    node('a', { ipv4Address: '10.0.0.1/24' }, { rack: 'r1' }),
    node('b', { ipv4Address: '10.0.0.2/24' }, { rack: 'r1' }),
    node('c', { ipv4Address: '10.0.0.3/24' }, { rack: 'r2' }),
  ];
  const meshOff = bgpConfig('default', { nodeToNodeMeshEnabled: false });

  const cases: { name: string; peers: ReturnType<typeof peer>[]; want: Record<string, string[]> }[] = [
    {
      name: 'a global peerIP peering reaches every node; the owner of the address gets reverse peerings',
      peers: [peer('to-c', { peerIP: '10.0.0.3' })],
      want: { a: ['Global_10_0_0_3 passive'], b: ['Global_10_0_0_3 passive'], c: ['Node_10_0_0_1', 'Node_10_0_0_2'] },
    },
    {
      name: 'a global peering to an external address is never passive and has no reverse side',
      peers: [peer('tor', { peerIP: '192.0.2.1', asNumber: 65000 })],
      want: { a: ['Global_192_0_2_1'], b: ['Global_192_0_2_1'], c: ['Global_192_0_2_1'] },
    },
    {
      name: 'a node-specific peering applies to that node only and is never made passive',
      peers: [peer('a-to-c', { node: 'a', peerIP: '10.0.0.3' })],
      want: { a: ['Node_10_0_0_3'], b: [], c: ['Node_10_0_0_1'] },
    },
    {
      name: 'nodeSelector and peerSelector pick nodes by label, with reverse peerings for symmetry',
      peers: [peer('racks', { nodeSelector: "rack == 'r1'", peerSelector: "rack == 'r2'" })],
      want: { a: ['Node_10_0_0_3'], b: ['Node_10_0_0_3'], c: ['Node_10_0_0_1', 'Node_10_0_0_2'] },
    },
    {
      name: 'reversePeering Manual suppresses the reverse side',
      peers: [peer('racks', { nodeSelector: "rack == 'r1'", peerSelector: "rack == 'r2'", reversePeering: 'Manual' })],
      want: { a: ['Node_10_0_0_3'], b: ['Node_10_0_0_3'], c: [] },
    },
    {
      name: 'a node-specific peering to an address with a global peering is dropped',
      peers: [peer('global', { peerIP: '192.0.2.1', asNumber: 65000 }), peer('node', { node: 'a', peerIP: '192.0.2.1', asNumber: 65000 })],
      want: { a: ['Global_192_0_2_1'], b: ['Global_192_0_2_1'], c: ['Global_192_0_2_1'] },
    },
    {
      name: 'a different port is a different peering',
      peers: [peer('global', { peerIP: '192.0.2.1', asNumber: 65000 }), peer('node', { node: 'a', peerIP: '192.0.2.1:1790', asNumber: 65000 })],
      want: { a: ['Global_192_0_2_1', 'Node_192_0_2_1_port_1790'], b: ['Global_192_0_2_1'], c: ['Global_192_0_2_1'] },
    },
    {
      name: 'a node never peers with its own address',
      peers: [peer('everyone', { nodeSelector: 'all()', peerSelector: 'all()' })],
      want: { a: ['Node_10_0_0_2', 'Node_10_0_0_3'], b: ['Node_10_0_0_1', 'Node_10_0_0_3'], c: ['Node_10_0_0_1', 'Node_10_0_0_2'] },
    },
  ];
  for (const c of cases) {
    test(`computePeerings() ${c.name}`, () => {
      for (const [self, want] of Object.entries(c.want)) {
        const got = summary(peeringsOf(inputs(self, { nodes: three, peers: c.peers, configurations: [meshOff] })));
        assert.deepEqual(got, want, `node ${self}`);
      }
    });
  }

  test('computePeerings() lets an explicit peering win over a reverse one with other options', () => {
    // b gets a reverse peering to a from "a-to-b" and an explicit one with a password from "b-to-a".
    const peers = [
      peer('a-to-b', { node: 'a', peerIP: '10.0.0.2' }),
      peer('b-to-a', { node: 'b', peerIP: '10.0.0.1', keepaliveTime: '10s' }),
    ];
    const got = peeringsOf(inputs('b', { nodes: three, peers, configurations: [meshOff] }));
    assert.deepEqual(got.map((p) => [p.name, p.keepaliveTime]), [['Node_10_0_0_1', 10]]);
  });

  test('computePeerings() uses the listen port of the Calico node behind a peerIP without port', () => {
    const configurations = [meshOff, bgpConfig('node.c', { listenPort: 1790 })];
    const got = peeringsOf(inputs('a', { nodes: three, peers: [peer('to-c', { peerIP: '10.0.0.3' })], configurations }));
    assert.deepEqual(got.map((p) => [p.name, p.port]), [['Global_10_0_0_3_port_1790', 1790]]);
  });

  test('computePeerings() maps the per-peer options', () => {
    const got = peeringsOf(inputs('a', {
      nodes: three,
      configurations: [meshOff],
      peers: [peer('tor', {
        peerIP: '[2001:db8::1]:1179', asNumber: '65000', localASNumber: 65100, sourceAddress: 'None', ttlSecurity: 2,
        password: { secretKeyRef: { name: 'bgp', key: 'tor' } }, maxRestartTime: '5m', keepaliveTime: '30s',
        numAllowedLocalASNumbers: 1, nextHopMode: 'Self', filters: ['f1', 'f2'],
      }), peer('ebgp-keep', { peerIP: '192.0.2.9', asNumber: 65009, keepOriginalNextHop: true })],
    }));
    // The IPv6 peering needs an IPv6 address on the node: node a has none.
    assert.deepEqual(got.map((p) => p.name), ['Global_192_0_2_9']);
    assert.equal(got[0]!.nextHop, 'keep');

    const dual = [node('a', { ipv4Address: '10.0.0.1/24', ipv6Address: '2001:db8::a/64' })];
    const [v6] = peeringsOf(inputs('a', {
      nodes: dual, configurations: [meshOff],
      peers: [peer('tor', {
        peerIP: '[2001:db8::1]:1179', asNumber: '65000', localASNumber: 65100, sourceAddress: 'None', ttlSecurity: 2,
        password: { secretKeyRef: { name: 'bgp', key: 'tor' } }, maxRestartTime: '5m', keepaliveTime: '30s',
        numAllowedLocalASNumbers: 1, nextHopMode: 'Self', filters: ['f1', 'f2'],
      })],
    }));
    assert.deepEqual(v6, {
      name: 'Global_2001_db8__1_port_1179', kind: 'global', family: 6, address: '2001:db8::1', port: 1179,
      asNumber: 65000, localASNumber: 65100, internal: false, passive: false, ttlSecurity: 2,
      password: { name: 'bgp', key: 'tor' }, restartTime: 300, keepaliveTime: 30, numAllowedLocalAS: 1,
      nextHop: 'self', filters: ['f1', 'f2'],
    });
  });

  test('computePeerings() applies keepOriginalNextHop to eBGP peers only', () => {
    const got = peeringsOf(inputs('a', { nodes: three, configurations: [meshOff], peers: [peer('ibgp', { peerIP: '192.0.2.9', asNumber: 64512, keepOriginalNextHop: true })] }));
    assert.equal(got[0]!.nextHop, undefined);
    assert.equal(got[0]!.internal, true);
  });
});

describe('computePeerings() route reflectors', () => {
  test('computePeerings() gives clients a session to each reflector (spec §11)', () => {
    assert.deepEqual(summary(peeringsOf(exampleB('compute-1'))), ['Node_10_0_0_5', 'Node_10_0_0_6']);
  });

  test('computePeerings() marks clients but not same-cluster reflectors as rr clients on a reflector', () => {
    assert.deepEqual(summary(peeringsOf(exampleB('rr-1'))), [
      'Node_10_0_0_11 rr-client(244.0.0.1)', 'Node_10_0_0_12 rr-client(244.0.0.1)', 'Node_10_0_0_6',
    ]);
  });

  test('computePeerings() treats a reflector of another cluster as a client', () => {
    const in_ = exampleB('rr-1');
    const nodes = in_.nodes.map((n) => (n.metadata.name === 'rr-2' ? node('rr-2', { ipv4Address: '10.0.0.6/24', routeReflectorClusterID: '244.0.0.2' }, { 'route-reflector': 'true' }) : n));
    assert.deepEqual(summary(peeringsOf({ ...in_, nodes })), [
      'Node_10_0_0_11 rr-client(244.0.0.1)', 'Node_10_0_0_12 rr-client(244.0.0.1)', 'Node_10_0_0_6 rr-client(244.0.0.1)',
    ]);
  });

  test('computePeerings() never makes an eBGP peer an rr client', () => {
    const in_ = exampleB('rr-1');
    const got = peeringsOf({ ...in_, peers: [...in_.peers, peer('tor', { peerIP: '192.0.2.1', asNumber: 65000 })] });
    assert.equal(got.find((p) => p.name === 'Global_192_0_2_1')!.rrClusterId, undefined);
  });
});

describe('computePeerings() gateway scenario', () => {
  test('computePeerings() peers each family with its own gateway address, eBGP, alongside the mesh', () => {
    assert.deepEqual(peeringsOf(gatewayScenario()).map((p) => `${p.name} ${p.internal ? 'iBGP' : 'eBGP'} [${p.filters.join(',')}]`), [
      'Global_10_0_0_1 eBGP [gateway-no-private]', 'Mesh_10_0_0_12 iBGP []', 'Global_fd00__1 eBGP []', 'Mesh_fd00__12 iBGP []',
    ]);
  });
});

describe('computePeerings() determinism', () => {
  test('computePeerings() does not depend on the order of nodes and peers', () => {
    const in_ = exampleB('rr-1');
    const reversed = { ...in_, nodes: [...in_.nodes].reverse(), peers: [...in_.peers].reverse() };
    assert.deepEqual(peeringsOf(reversed), peeringsOf(in_));
  });
});
