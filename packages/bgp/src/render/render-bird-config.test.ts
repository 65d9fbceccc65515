import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { BgpConfigError } from './bgp-config-error.ts';
import { hashRouterId, renderBird, renderBirdConfig, type BgpInputs } from './render-bird-config.ts';
import {
  bgpConfig, bgpFilter, exampleA, exampleB, gatewayScenario, inputs, node, peer, pool,
} from './testing/bgp-fixtures.ts';

const run = promisify(execFile);
const TESTDATA = join(import.meta.dirname, 'testdata');
const UPDATE = process.env.PERCALE_UPDATE_GOLDEN === '1';

/** Every configuration this file renders, checked by BIRD's own parser in the last test. */
const rendered = new Map<string, string>();

function render(label: string, in_: BgpInputs): string {
  const text = renderBirdConfig(in_);
  rendered.set(label, text);
  return text;
}

/** Compares with `testdata/<file>`; PERCALE_UPDATE_GOLDEN=1 rewrites it instead. */
function assertGolden(file: string, text: string): void {
  const path = join(TESTDATA, file);
  if (UPDATE) writeFileSync(path, text);
  assert.equal(text, readFileSync(path, 'utf8'), `${file} differs from the golden file`);
}

/** The `protocol bgp <name> … }` block of a configuration. */
function protocolBlock(text: string, name: string): string {
  const start = text.indexOf(`protocol bgp ${name} `);
  assert.notEqual(start, -1, `no protocol ${name}`);
  return text.slice(start, text.indexOf('\n}\n', start) + 2);
}

describe('renderBirdConfig() worked examples (spec §10–11, translated to BIRD 2)', () => {
  test('renderBirdConfig() renders Example A (three-node mesh) for compute-1', () => {
    assertGolden('example-a.compute-1.conf', render('example A compute-1', exampleA('compute-1')));
  });

  test('renderBirdConfig() renders Example B (route reflectors) for a client and a reflector', () => {
    assertGolden('example-b.compute-1.conf', render('example B compute-1', exampleB('compute-1')));
    assertGolden('example-b.rr-1.conf', render('example B rr-1', exampleB('rr-1')));
  });

  test('renderBirdConfig() renders the gateway scenario (private pool kept from the gateway, IPv6 peering)', () => {
    assertGolden('gateway.compute-1.conf', render('gateway compute-1', gatewayScenario('compute-1')));
  });

  test('renderBirdConfig() makes the sessions of Example A match the spec on every node', () => {
    for (const [name, passive] of [['compute-1', ['12', '13']], ['compute-2', ['13']], ['compute-3', []]] as const) {
      const text = render(`example A ${name}`, exampleA(name));
      const sessions = [...text.matchAll(/^protocol bgp (Mesh_\S+)/gm)].map((m) => m[1]!);
      assert.equal(sessions.length, 2, name);
      for (const s of sessions) {
        assert.equal(protocolBlock(text, s).includes('passive on;'), (passive as readonly string[]).includes(s.slice(-2)), `${name} ${s}`);
      }
    }
  });
});

describe('renderBirdConfig() filters', () => {
  test('renderBirdConfig() exports only pools that allow export, and rejects the rest first', () => {
    const text = render('example A filters', exampleA());
    const fn = text.slice(text.indexOf('function calico_export_to_bgp_peers('), text.indexOf('\n}\n', text.indexOf('function calico_export_to_bgp_peers(')));
    assert.ok(fn.indexOf('if (net ~ 10.66.0.0/16) then { reject; }') < fn.indexOf('if (net ~ 10.65.0.0/16) then { accept; }'));
    assert.doesNotMatch(fn, /10\.66\.0\.0\/16\) then \{ accept/);
  });

  test('renderBirdConfig() leaves VXLAN and IPIP pool routes to the agent in the kernel filter', () => {
    const text = render('encapsulated pools', inputs('a', {
      nodes: [node('a', { ipv4Address: '10.0.0.1/24', ipv6Address: 'fd00::1/64' })],
      pools: [pool('plain', '10.65.0.0/16'), pool('vx', '10.67.0.0/16', { vxlanMode: 'CrossSubnet' }), pool('ip', '10.68.0.0/16', { ipipMode: 'Always' }), pool('vx6', 'fd00:67::/48', { vxlanMode: 'Always' })],
    }));
    assert.match(text, /if \(net ~ 10\.65\.0\.0\/16\) then \{ accept; \}   # no encapsulation/);
    assert.match(text, /if \(net ~ 10\.67\.0\.0\/16\) then \{ reject; \}   # VXLAN pool/);
    assert.match(text, /if \(net ~ 10\.68\.0\.0\/16\) then \{ reject; \}   # IPIP pool/);
    assert.match(text.slice(text.indexOf('filter calico_kernel_programming6')), /^ {2}if \(net ~ fd00:67::\/48\) then \{ reject; \}/m);
  });

  test('renderBirdConfig() hands no-encapsulation routes to the agent when programClusterRoutes says so', () => {
    const text = render('programClusterRoutes Disabled', { ...exampleA(), configurations: [bgpConfig('default', { programClusterRoutes: 'Disabled' })] });
    assert.match(text, /if \(net ~ 10\.65\.0\.0\/16\) then \{ reject; \}   # programClusterRoutes/);
  });

  test('renderBirdConfig() warns that BIRD 2 cannot take over IPIP routes', () => {
    const in_ = { ...exampleA(), pools: [pool('ipip', '10.68.0.0/16', { ipipMode: 'Always' })], configurations: [bgpConfig('default', { programClusterRoutes: 'Enabled' })] };
    const out = renderBird(in_);
    rendered.set('programClusterRoutes Enabled with IPIP', out.text);
    assert.match(out.warnings.join('\n'), /cannot do \(no krt_tunnel\)/);
    assert.match(out.text, /if \(net ~ 10\.68\.0\.0\/16\) then \{ reject; \}   # IPIP pool/);
  });

  test('renderBirdConfig() shares one named export filter per peer kind and BGPFilter list', () => {
    const in_ = gatewayScenario();
    const text = render('gateway shared filters', in_);
    assert.match(protocolBlock(text, 'Global_10_0_0_1'), /export filter calico_export_ebgp_[0-9a-f]{8};/);
    assert.match(protocolBlock(text, 'Global_fd00__1'), /export filter calico_export_ebgp6;/);
    // Mesh peers use the template's filters: no channel block of their own.
    assert.doesNotMatch(protocolBlock(text, 'Mesh_10_0_0_12'), /ipv4 \{/);
    const withFilter = text.slice(text.indexOf('filter calico_export_ebgp_'));
    assert.match(withFilter, /'bgp_gateway-no-private_exportFilterV4'\(false\);\n {2}calico_export_to_bgp_peers\(false\);\n {2}reject;/);
  });

  test('renderBirdConfig() adds prefix communities, standard and large, and named ones', () => {
    const text = render('communities', {
      ...exampleA(),
      configurations: [bgpConfig('default', {
        communities: [{ name: 'gold', value: '65000:1:2' }],
        prefixAdvertisements: [{ cidr: '10.65.0.0/16', communities: ['64512:100', 'gold'] }, { cidr: 'fd00:65::/48', communities: ['64512:6'] }],
      })],
    });
    assert.match(text, /function apply_communities\(\)\n\{\n {2}if \(net ~ 10\.65\.0\.0\/16\) then \{\n {4}bgp_community\.add\(\(64512, 100\)\);\n {4}bgp_large_community\.add\(\(65000, 1, 2\)\);\n {2}\}\n\}/);
    assert.match(text, /function apply_communities6\(\)\n\{\n {2}if \(net ~ fd00:65::\/48\) then \{\n {4}bgp_community\.add\(\(64512, 6\)\);/);
  });

  test('renderBirdConfig() leaves out prefix communities that are out of range or undefined, with warnings', () => {
    const out = renderBird({
      ...exampleA(),
      configurations: [bgpConfig('default', {
        communities: [{ name: 'wide', value: '70000:1' }],
        prefixAdvertisements: [{ cidr: '10.65.0.0/16', communities: ['65536:100', 'wide', 'missing', '64512:7', '1:2:4294967296'] }],
      })],
    });
    rendered.set('out-of-range communities', out.text);
    assert.match(out.text, /function apply_communities\(\)\n\{\n {2}if \(net ~ 10\.65\.0\.0\/16\) then \{\n {4}bgp_community\.add\(\(64512, 7\)\);\n {2}\}\n\}/);
    assert.deepEqual(out.warnings, [
      'BGPConfiguration(default).spec.prefixAdvertisements[0].communities[0] "65536:100" is not a valid community ("65536:100": standard parts are 16-bit, large parts 32-bit); it is not added',
      'BGPConfiguration(default).spec.prefixAdvertisements[0].communities[1] "wide" is not a valid community ("70000:1": standard parts are 16-bit, large parts 32-bit); it is not added',
      'BGPConfiguration(default).spec.prefixAdvertisements[0].communities[2] "missing" is not a community value or a defined community name; it is not added',
      'BGPConfiguration(default).spec.prefixAdvertisements[0].communities[4] "1:2:4294967296" is not a valid community ("1:2:4294967296": standard parts are 16-bit, large parts 32-bit); it is not added',
    ]);
  });

  test('renderBirdConfig() never announces the agent\'s protocol-80 routes to other hosts\' VMs, to any peer', () => {
    const text = render('agent cluster routes', gatewayScenario());
    const fn = text.slice(text.indexOf('function calico_export_to_bgp_peers('), text.indexOf('\n}\n', text.indexOf('function calico_export_to_bgp_peers(')));
    const guard = '  if (defined(krt_source)) then {\n    if ((krt_source = 80) && (gw != ::)) then { reject; }\n  }\n';
    // Before the iBGP-only block and before any pool accepts, so it holds for eBGP peers too.
    assert.ok(fn.includes(guard), fn);
    assert.ok(fn.indexOf(guard) < fn.indexOf('if (internal_peer)'));
    assert.ok(fn.indexOf(guard) < fn.indexOf('then { accept; }'));
    assert.equal(text.split(guard).length - 1, 2, 'one guard per family');
  });

  test('renderBirdConfig() uses the configured normal route priority for metrics and preference', () => {
    const text = render('route priority', { ...exampleA(), configurations: [bgpConfig('default', { ipv4NormalRoutePriority: 512 })] });
    assert.match(text, /krt_metric = 512;/);
    assert.match(text, /filter calico_import\n\{\n {2}if \(defined\(bgp_local_pref\) && \(bgp_local_pref > 2147483135\)\) then preference = 200;/);
    assert.match(text, /filter calico_import6\n\{\n {2}if \(defined\(bgp_local_pref\) && \(bgp_local_pref > 2147482623\)\)/);
  });
});

describe('renderBirdConfig() session options', () => {
  const meshOff = bgpConfig('default', { nodeToNodeMeshEnabled: false });
  const self = node('a', { ipv4Address: '10.0.0.1/24', ipv6Address: 'fd00::1/64' });

  test('renderBirdConfig() maps every BGPPeer option', () => {
    const text = render('peer options', inputs('a', {
      nodes: [self],
      configurations: [meshOff],
      peers: [peer('tor', {
        peerIP: '192.0.2.1:1179', asNumber: 65000, localASNumber: 64999, ttlSecurity: 2, keepaliveTime: '100s',
        maxRestartTime: '300s', numAllowedLocalASNumbers: 2, nextHopMode: 'Keep', reachableBy: '10.0.0.254',
        password: { secretKeyRef: { name: 'bgp', key: 'tor' } },
      })],
      secret: (ref) => (ref.name === 'bgp' && ref.key === 'tor' ? 's3cret' : undefined),
    }));
    assert.equal(protocolBlock(text, 'Global_192_0_2_1_port_1179'), [
      'protocol bgp Global_192_0_2_1_port_1179 from bgp_template {',
      '  neighbor 192.0.2.1 port 1179 as 65000;',
      '  local as 64999;',
      '  source address 10.0.0.1;',
      '  ttl security on;',
      '  multihop 2;',
      '  password "s3cret";',
      '  graceful restart time 300;',
      '  keepalive time 100;',
      '  hold time 300;',
      '  allow local as 2;',
      '  ipv4 {',
      '    export filter calico_export_ebgp;',
      '    next hop keep;',
      '  };',
      '}',
    ].join('\n'));
    assert.match(text, /protocol static static4 \{\n {2}ipv4;\n {2}route 192\.0\.2\.1\/32 via 10\.0\.0\.254;\n\}/);
  });

  test('renderBirdConfig() omits a password it cannot resolve or quote, and says so', () => {
    const peers = [peer('tor', { peerIP: '192.0.2.1', asNumber: 65000, password: { secretKeyRef: { name: 'bgp', key: 'tor' } } })];
    const missing = renderBird(inputs('a', { nodes: [self], configurations: [meshOff], peers }));
    assert.doesNotMatch(missing.text, /password/);
    assert.deepEqual(missing.warnings, ['BGP session Global_192_0_2_1: password secret "bgp" key "tor" is not available; the session has no password']);
    const quoted = renderBird(inputs('a', { nodes: [self], configurations: [meshOff], peers, secret: () => 'a"b' }));
    assert.doesNotMatch(quoted.text, /password/);
    assert.match(quoted.warnings[0]!, /contains a quote, backslash or newline/);
  });

  test('renderBirdConfig() takes the mesh password from nodeMeshPassword', () => {
    const text = render('mesh password', {
      ...exampleA(),
      configurations: [bgpConfig('default', { nodeMeshPassword: { secretKeyRef: { name: 'mesh', key: 'pw' } } })],
      secret: () => 'meshpw',
    });
    assert.match(protocolBlock(text, 'Mesh_10_0_0_12'), /password "meshpw";/);
  });

  test('renderBirdConfig() applies listenPort, bindMode, log level and ignored interfaces', () => {
    const text = render('node settings', {
      ...exampleA(),
      configurations: [
        bgpConfig('default', { listenPort: 1790, logSeverityScreen: 'Warning', ignoredInterfaces: ['docker*'] }),
        bgpConfig('node.compute-1', { listenPort: 1791, bindMode: 'NodeIP', logSeverityScreen: 'Debug' }),
      ],
    });
    assert.match(text, /template bgp bgp_template \{\n {2}debug all;\n {2}description "Connection to BGP peer";\n {2}local port 1791 as 64512;/);
    // Peers listen on the global port; BIRD binds to the node address.
    assert.match(protocolBlock(text, 'Mesh_10_0_0_12'), /neighbor 10\.0\.0\.12 port 1790 as 64512;\n {2}source address 10\.0\.0\.11;\n {2}strict bind on;/);
    assert.match(text, /interface -"docker\*", -"cali\*", -"kube-ipvs\*", "\*";/);
    const quiet = render('log level warning', { ...exampleA(), configurations: [bgpConfig('default', { logSeverityScreen: 'Warning' })] });
    assert.doesNotMatch(quiet, /debug/);
  });

  test('renderBirdConfig() sets the router id from CALICO_ROUTER_ID semantics', () => {
    assert.match(render('router id ip', { ...exampleA(), routerId: '192.0.2.77' }), /^router id 192\.0\.2\.77;$/m);
    assert.match(render('router id hash', { ...exampleA(), routerId: 'hash' }), new RegExp(`^router id ${hashRouterId('compute-1').replaceAll('.', '\\.')};$`, 'm'));
    const v6only = inputs('a', { nodes: [node('a', { ipv6Address: 'fd00::1/64' }), node('b', { ipv6Address: 'fd00::2/64' })], routerId: 'hash' });
    assert.match(render('IPv6-only node', v6only), /protocol bgp Mesh_fd00__2 from bgp_template6/);
  });
});

describe('hashRouterId()', () => {
  test('hashRouterId() is stable, IPv4-shaped and outside multicast and reserved space', () => {
    for (const name of ['compute-1', 'compute-2', 'a', 'rr-1.example.org']) {
      const id = hashRouterId(name);
      assert.equal(id, hashRouterId(name));
      const octets = id.split('.').map(Number);
      assert.equal(octets.length, 4);
      assert.ok(octets[0]! <= 223, id);
    }
    assert.notEqual(hashRouterId('compute-1'), hashRouterId('compute-2'));
  });
});

describe('renderBirdConfig() errors and determinism', () => {
  test('renderBirdConfig() fails with BGP_CONFIG_INVALID naming the missing Node or address', () => {
    assert.throws(() => renderBirdConfig({ ...exampleA(), nodeName: 'ghost' }), (err: unknown) =>
      err instanceof BgpConfigError && err.code === 'BGP_CONFIG_INVALID' && err.field === 'Node(ghost)' && /no Node resource named "ghost"/.test(err.message));
    assert.throws(() => renderBirdConfig(inputs('a', { nodes: [node('a', {})] })), (err: unknown) =>
      err instanceof BgpConfigError && err.field === 'Node(a).spec.bgp' && /has no BGP address/.test(err.message));
    assert.throws(() => renderBirdConfig(inputs('a', { nodes: [node('a', { ipv6Address: 'fd00::1/64' })] })), (err: unknown) =>
      err instanceof BgpConfigError && /no IPv4 BGP address; set CALICO_ROUTER_ID/.test(err.message));
    assert.throws(() => renderBirdConfig({ ...exampleA(), routerId: 'router-7' }), (err: unknown) =>
      err instanceof BgpConfigError && err.field === 'CALICO_ROUTER_ID' && /invalid router id "router-7"/.test(err.message));
  });

  test('renderBirdConfig() renders byte-identical text whatever the order of the inputs', () => {
    const in_ = gatewayScenario();
    const shuffled: BgpInputs = {
      ...in_,
      nodes: [...in_.nodes].reverse(), peers: [...in_.peers].reverse(), pools: [...in_.pools].reverse(), filters: [...in_.filters].reverse(),
    };
    assert.equal(renderBirdConfig(shuffled), renderBirdConfig(in_));
  });

  test('renderBirdConfig() warns about a BGPFilter a peer names that does not exist', () => {
    const in_ = { ...exampleA(), peers: [peer('tor', { peerIP: '192.0.2.1', asNumber: 65000, filters: ['ghost'] })] };
    const out = renderBird(in_);
    rendered.set('missing filter', out.text);
    assert.deepEqual(out.warnings, ['BGP session Global_192_0_2_1: BGPFilter "ghost" does not exist; the session runs without it']);
    assert.match(protocolBlock(out.text, 'Global_192_0_2_1'), /export filter calico_export_ebgp;/);
  });
});

describe('renderBirdConfig() output is valid BIRD 2', () => {
  const scenarios: { name: string; inputs: BgpInputs }[] = [
    ...['compute-1', 'compute-2', 'rr-1', 'rr-2'].map((n) => ({ name: `example B ${n}`, inputs: exampleB(n) })),
    { name: 'gateway compute-2', inputs: gatewayScenario('compute-2') },
    {
      name: 'everything at once',
      inputs: inputs('a', {
        routerId: 'hash',
        nodes: [
          node('a', { ipv4Address: '10.0.0.1/24', ipv6Address: 'fd00::1/64', asNumber: 64600, routeReflectorClusterID: '10.255.0.1' }, { rr: 'yes' }),
          node('b', { ipv4Address: '10.0.0.2/24', ipv6Address: 'fd00::2/64' }),
          node('c', { ipv4Address: '10.1.0.3/24' }, { rr: 'yes' }),
        ],
        configurations: [
          bgpConfig('default', { asNumber: '1.10', listenPort: 1790, bindMode: 'NodeIP', nodeMeshMaxRestartTime: '90s', ipv6NormalRoutePriority: 2000 }),
          bgpConfig('node.a', { logSeverityScreen: 'Debug', ignoredInterfaces: ['docker0', 'br-*'] }),
        ],
        pools: [
          pool('p1', '10.65.0.0/16', { natOutgoing: true }), pool('p2', '10.66.0.0/16', { ipipMode: 'CrossSubnet' }),
          pool('p3', '10.67.0.0/16', { vxlanMode: 'Always', disableBGPExport: true }), pool('p6', 'fd00:65::/48'),
        ],
        peers: [
          peer('all-to-rr', { nodeSelector: 'all()', peerSelector: "rr == 'yes'", filters: ['f1'] }),
          peer('tor4', { peerIP: '192.0.2.1:1179', asNumber: 65000, ttlSecurity: 1, keepaliveTime: '20s', reachableBy: '10.0.0.254', filters: ['f1', 'f2'], password: { secretKeyRef: { name: 's', key: 'k' } } }),
          peer('tor6', { node: 'a', peerIP: '2001:db8::1', asNumber: 65000, sourceAddress: 'None', nextHopMode: 'Self', numAllowedLocalASNumbers: 1, localASNumber: 64700 }),
          peer('tor6b', { node: 'a', peerIP: '[2001:db8::2]:1179', asNumber: 64600, reachableBy: 'fd00::fe', maxRestartTime: '10m', filters: ['f1'] }),
        ],
        filters: [
          bgpFilter('f1', {
            importV4: [{ action: 'Reject', matchOperator: 'NotIn', cidr: '10.0.0.0/8', prefixLength: { min: 16 } }],
            exportV4: [{ action: 'Accept', source: 'RemotePeers', peerType: 'iBGP', interface: 'eth*', matchOperator: 'Equal', cidr: '10.65.0.0/16' }],
            importV6: [{ action: 'Accept', communities: { values: ['65000:100'] }, operations: [{ setPriority: { value: 10 } }] }],
            exportV6: [{ action: 'Accept', asPathPrefix: [65000], operations: [{ addCommunity: { value: '1:2:3' } }, { prependASPath: { prefix: [64600] } }] }],
          }),
          bgpFilter(`f2-${'long'.repeat(20)}`, { exportV4: [{ action: 'Reject', matchOperator: 'NotEqual', cidr: '10.65.0.0/16', priority: 512 }] }),
          bgpFilter('f2', { exportV4: [{ action: 'Reject', matchOperator: 'In', cidr: '10.66.0.0/16' }] }),
        ],
        secret: () => 'pw',
      }),
    },
  ];
  for (const s of scenarios) {
    test(`renderBirdConfig() renders scenario "${s.name}"`, () => {
      assert.match(render(s.name, s.inputs), /^router id /m);
    });
  }

  test('renderBirdConfig() output passes `bird -p -c` for every configuration rendered above', { timeout: 60_000 }, async (t) => {
    const bird = await run('bird', ['--version']).then(() => true, () => false);
    if (!bird) {
      t.skip('bird (BIRD 2) is not installed');
      return;
    }
    assert.ok(rendered.size >= 20, `only ${rendered.size} configurations were rendered`);
    const dir = mkdtempSync(join(tmpdir(), 'percale-bird-parse-'));
    try {
      const entries = [...rendered.entries()];
      // Two at a time: the machine has two cores and other work to do.
      const failures: string[] = [];
      for (let i = 0; i < entries.length; i += 2) {
        await Promise.all(entries.slice(i, i + 2).map(async ([label, text], j) => {
          const file = join(dir, `${i + j}.conf`);
          writeFileSync(file, text);
          try {
            await run('bird', ['-p', '-c', file]);
          } catch (err) {
            failures.push(`${label}: ${String((err as { stderr?: string }).stderr ?? err).trim()}`);
          }
        }));
      }
      assert.deepEqual(failures, []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
