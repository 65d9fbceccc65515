/**
 * End-to-end proof of `percale bgp` with real BIRD and packets: three compute hosts, a route
 * reflector and the operator's gateway router as network namespaces on one fabric bridge, an
 * "outside" network behind the gateway, one real etcd reached over a unix socket. Each compute
 * host runs `percale agent` (tap routes, policy, outgoing NAT) and `percale bgp` (which runs
 * BIRD); the route reflector runs `percale bgp` managing an operator-run BIRD
 * (`--bird-socket`); the gateway runs a plain BIRD this test
 * configures. One topology serves every case, in order: full mesh, a new VM, the gateway's
 * view, the agent's cluster routes kept from peers, outgoing NAT, a configuration BIRD
 * rejects, node status, then route-reflector mode.
 * Needs root, iproute2, nft, etcd, BIRD 2, ping and nc; skipped otherwise.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { Resource } from '@percale/api';
import { EtcdStore, startLocalEtcd, type LocalEtcd } from '@percale/datastore';
import { BgpLab, bgpLabAvailable, type BgpLabHost, type LabProcess } from './harness/bgp-lab.ts';
import { novaTapName, until, type LabVm } from './harness/netns-lab.ts';

const exec = promisify(execFile);
const root = join(import.meta.dirname, '..');
const calicoctlBin = join(root, 'node_modules/.bin/calicoctl');
const nodeBin = join(root, 'node_modules/.bin/node');
const skip = !(await bgpLabAvailable()) && 'needs root, ip netns, nft, etcd, BIRD 2, ping and nc';

const v3 = 'projectcalico.org/v3';
const CLUSTER_AS = 64512;
const GATEWAY_AS = 64600;
const PRIVATE_POOL = '10.65.0.0/16';
const PUBLIC_POOL = '203.0.113.0/24';
const V6_POOL = 'fd00:65::/48';
const OUTSIDE = { gateway: '192.0.2.1', listener: '192.0.2.10', port: 7000 };
const TCP_PORT = 8080;

const resource = (kind: string, name: string, spec: Record<string, unknown>, labels?: Record<string, string>): Resource =>
  ({ apiVersion: v3, kind, metadata: { name, ...(labels && { labels }) }, spec });

/** The gateway: eBGP with every compute host (both families), announcing the outside network. */
function gatewayConfig(computes: BgpLabHost[], gw: BgpLabHost): string {
  const sessions = computes.flatMap((h, i) => [
    `protocol bgp c${i}_v4 from cluster4 { neighbor ${h.fabricIp} as ${CLUSTER_AS}; }`,
    `protocol bgp c${i}_v6 from cluster6 { neighbor ${h.fabricIp6} as ${CLUSTER_AS}; }`,
  ]);
  return `router id ${gw.fabricIp};
protocol device { scan time 2; }
protocol direct { ipv4; interface "ext0"; }
protocol kernel { ipv4 { import none; export where source = RTS_BGP; }; merge paths on; }
protocol kernel { ipv6 { import none; export where source = RTS_BGP; }; merge paths on; }
template bgp cluster4 {
  local ${gw.fabricIp} as ${GATEWAY_AS};
  connect delay time 1; connect retry time 2; error wait time 1, 10;
  ipv4 { import all; export where source = RTS_DEVICE; };
}
template bgp cluster6 {
  local ${gw.fabricIp6} as ${GATEWAY_AS};
  connect delay time 1; connect retry time 2; error wait time 1, 10;
  ipv6 { import all; export none; };
}
${sessions.join('\n')}
`;
}

describe('percale bgp end to end: BIRD, BGP and real packets', { skip, timeout: 240_000 }, () => {
  const lab = new BgpLab();
  const socket = join(lab.dir, 'etcd.sock');
  const endpoint = `unix://${socket}:0`;
  let etcd: LocalEtcd | undefined;
  let store: EtcdStore;
  let computes: BgpLabHost[];
  let rr: BgpLabHost;
  let gw: BgpLabHost;
  let gwSocket: string;
  const nodeName = (h: BgpLabHost) => `${lab.prefix}-${h.name}`;
  const vms: { vm: LabVm; node: string; v6?: string }[] = [];
  const daemons = new Map<BgpLabHost, LabProcess>();
  let vmPriv: LabVm, vmPub: LabVm, vmB: LabVm, vmC: LabVm;

  /** A VM on `host` with a WorkloadEndpoint as networking-calico writes it. */
  const addVm = async (host: BgpLabHost, name: string, ip: string, v6?: string): Promise<LabVm> => {
    const port = randomUUID();
    const vm = await lab.net.vm(host, name, ip, novaTapName(port));
    if (v6) await lab.net.in(vm.ns, ['ip', 'addr', 'add', `${v6}/128`, 'dev', 'eth0', 'nodad']);
    lab.start(vm.ns, ['nc', '-lk', String(TCP_PORT)]);
    const node = nodeName(host);
    const instance = randomUUID();
    const wepName = [node, 'openstack', instance, port].map((s) => s.replaceAll('-', '--')).join('-');
    await store.apply({
      apiVersion: v3, kind: 'WorkloadEndpoint',
      metadata: { namespace: 'openstack', name: wepName, labels: { 'projectcalico.org/namespace': 'openstack', 'projectcalico.org/orchestrator': 'openstack' } },
      spec: {
        orchestrator: 'openstack', workload: instance, node, endpoint: port, interfaceName: vm.tap, mac: vm.mac,
        ipv4Gateway: '169.254.1.1', ipNetworks: [`${ip}/32`, ...(v6 ? [`${v6}/128`] : [])],
      },
    });
    vms.push({ vm, node, ...(v6 && { v6 }) });
    return vm;
  };

  const status = async (h: BgpLabHost) => (await lab.bgpStatus(h)) as { healthy: boolean; config: { sha256?: string; installs: number }; lastError?: { stage: string; message: string }; lastReload?: { at: string } } | undefined;
  /** Remote VM routes in `host`'s kernel, by destination → protocol. */
  const vmRoutes = async (host: BgpLabHost) => new Map((await lab.routes(host)).filter((r) => r.dst.startsWith('10.65.') || r.dst.startsWith('203.0.113.')).map((r) => [r.dst, r.protocol ?? '']));
  /** Every compute host has a `proto bird` route to every VM on the other compute hosts. */
  const meshConverged = async () => {
    for (const h of computes) {
      const routes = await vmRoutes(h);
      for (const { vm } of vms) if (vm.host !== h && routes.get(vm.ip) !== 'bird') return false;
    }
    return true;
  };
  /** The source address the outside listener saw for a connection from `vm`. */
  const sourceSeenOutside = async (vm: LabVm) => (await lab.net.in(vm.ns, ['nc', '-d', '-w', '3', OUTSIDE.listener, String(OUTSIDE.port)], 8_000)).trim();

  before(async () => {
    await lab.fabric();
    etcd = await startLocalEtcd({ dataDir: join(lab.dir, 'etcd'), unixSocket: socket });
    store = new EtcdStore({ endpoints: [etcd.endpoint] });
    await store.apply(resource('ClusterInformation', 'default', { clusterType: 'openstack', datastoreReady: true, clusterGUID: randomUUID().replaceAll('-', '') }));
    // Connectivity document's address plan: a private pool with outgoing NAT, a public pool, IPv6.
    await store.apply(resource('IPPool', 'private', { cidr: PRIVATE_POOL, natOutgoing: true, ipipMode: 'Never', vxlanMode: 'Never', blockSize: 26, nodeSelector: 'all()' }));
    await store.apply(resource('IPPool', 'public', { cidr: PUBLIC_POOL, ipipMode: 'Never', vxlanMode: 'Never', blockSize: 26, nodeSelector: 'all()' }));
    await store.apply(resource('IPPool', 'v6', { cidr: V6_POOL, ipipMode: 'Never', vxlanMode: 'Never', blockSize: 122, nodeSelector: 'all()' }));
    await store.apply(resource('GlobalNetworkPolicy', 'allow-all', { selector: 'all()', ingress: [{ action: 'Allow' }], egress: [{ action: 'Allow' }] }));
    // The gateway peers with the compute hosts only; it never learns the private pool.
    await store.apply(resource('BGPFilter', 'gateway-no-private', { exportV4: [{ action: 'Reject', matchOperator: 'In', cidr: PRIVATE_POOL }] }));
    await store.apply(resource('BGPPeer', 'gateway', { peerIP: '10.99.0.1', asNumber: GATEWAY_AS, nodeSelector: '!has(route-reflector)', filters: ['gateway-no-private'] }));
    await store.apply(resource('BGPPeer', 'gateway-v6', { peerIP: 'fd00:99::1', asNumber: GATEWAY_AS, nodeSelector: '!has(route-reflector)' }));

    gw = await lab.host('gw', '10.99.0.1', 'fd00:99::1');
    rr = await lab.host('rr', '10.99.0.5', 'fd00:99::5');
    computes = [
      await lab.host('c1', '10.99.0.11', 'fd00:99::11'),
      await lab.host('c2', '10.99.0.12', 'fd00:99::12'),
      await lab.host('c3', '10.99.0.13', 'fd00:99::13'),
    ];
    await lab.outside(gw, 'outside', OUTSIDE.gateway, OUTSIDE.listener);
    lab.start(`${lab.prefix}-outside`, [nodeBin, '-e',
      `require('node:net').createServer((s) => s.end(s.remoteAddress + '\\n')).listen(${OUTSIDE.port}, '0.0.0.0')`]);
    // The route reflector's Node carries its cluster id and label before its daemon registers.
    await store.apply(resource('Node', nodeName(rr), { bgp: { ipv4Address: '10.99.0.5/24', routeReflectorClusterID: '244.0.0.1' } }, { 'route-reflector': 'true' }));

    const [c1, c2, c3] = computes as [BgpLabHost, BgpLabHost, BgpLabHost];
    vmPriv = await addVm(c1, 'vm-priv', '10.65.1.2', 'fd00:65::1:2');
    vmPub = await addVm(c1, 'vm-pub', '203.0.113.11');
    vmB = await addVm(c2, 'vm-b', '10.65.2.2');
    vmC = await addVm(c3, 'vm-c', '203.0.113.13');

    ({ socket: gwSocket } = await lab.startBird(gw, gatewayConfig(computes, gw)));
    await Promise.all(computes.map((h) => lab.startAgent(h, nodeName(h), endpoint)));
    for (const h of computes) daemons.set(h, lab.startBgp(h, nodeName(h), endpoint, { IP: 'autodetect', IP_AUTODETECTION_METHOD: 'interface=eth0', IP6: `${h.fabricIp6}/64` }));
    // The reflector's BIRD is run by the operator; percale bgp only manages its configuration.
    await lab.startBgpWithOperatorBird(rr, nodeName(rr), endpoint, { IP: '10.99.0.5/24', IP6: 'none' });
  });

  after(async () => {
    await lab.destroy();
    await store?.close().catch(() => undefined);
    await etcd?.stop().catch(() => undefined);
  });

  it('registers each host\'s Node with its detected addresses, keeping fields others set', async () => {
    await until('four Nodes registered', async () => (await store.list({ kind: 'Node' })).items.filter((n) => (n.spec as { bgp?: unknown }).bgp).length === 4, 20_000);
    const c1 = await store.get({ kind: 'Node', name: nodeName(computes[0]!) });
    assert.deepEqual((c1.spec as { bgp: unknown }).bgp, { ipv4Address: '10.99.0.11/24', ipv6Address: 'fd00:99::11/64' });
    const r = await store.get({ kind: 'Node', name: nodeName(rr) });
    assert.deepEqual((r.spec as { bgp: unknown }).bgp, { ipv4Address: '10.99.0.5/24', routeReflectorClusterID: '244.0.0.1' });
    assert.deepEqual(r.metadata.labels, { 'route-reflector': 'true' });
  });

  it('full mesh: VM routes reach the other hosts by BGP alone; ping and TCP across hosts', async () => {
    const t = await until('mesh routes in every compute host\'s kernel', meshConverged, 30_000);
    console.log(`# full mesh converged ${t} ms after the daemons were up`);
    for (const h of computes) {
      const routes = await lab.routes(h);
      assert.ok(!routes.some((r) => r.protocol === 'static' && (r.dst.startsWith('10.65.') || r.dst.startsWith('203.0.113.'))), `no static VM routes on ${h.name}`);
    }
    assert.equal(await lab.net.pings(vmPriv, vmB.ip), true, 'c1 → c2 ping');
    assert.equal(await lab.net.pings(vmB, vmC.ip), true, 'c2 → c3 ping');
    assert.equal(await lab.net.tcpConnects(vmC, vmPriv.ip, TCP_PORT), true, 'c3 → c1 TCP');
    const sessions = await lab.bgpSessions(lab.bgpPaths(computes[0]!).socket);
    assert.equal(sessions.get('Mesh_10_99_0_12'), 'Established');
    assert.equal(sessions.get('Mesh_10_99_0_13'), 'Established');
    assert.ok(![...sessions.keys()].some((n) => n.includes('10_99_0_5')), 'mesh members skip the route reflector');
  });

  it('a new VM is reachable from other hosts with no reload and no static route', async () => {
    const before = await Promise.all(computes.map(status));
    const start = Date.now();
    const vmNew = await addVm(computes[2]!, 'vm-new', '10.65.3.3');
    await until('new VM reachable from c1', () => lab.net.pings(vmPriv, vmNew.ip, 0.3), 20_000);
    console.log(`# new VM (WorkloadEndpoint written) → reachable from another host: ${Date.now() - start} ms`);
    assert.equal((await vmRoutes(computes[0]!)).get(vmNew.ip), 'bird');
    const afterwards = await Promise.all(computes.map(status));
    for (let i = 0; i < computes.length; i++) {
      assert.equal(afterwards[i]!.config.installs, before[i]!.config.installs, `no configuration installed on ${computes[i]!.name}`);
      assert.deepEqual(afterwards[i]!.lastReload, before[i]!.lastReload, `no reload on ${computes[i]!.name}`);
    }
  });

  it('the gateway learns exactly the public pool and IPv6 VM routes, never the private pool', async () => {
    const expected4 = vms.filter(({ vm }) => vm.ip.startsWith('203.0.113.')).map(({ vm }) => vm.ip).sort();
    const expected6 = vms.filter((v) => v.v6).map((v) => v.v6!).sort();
    const learned = async (family: 4 | 6) => (await lab.routes(gw, family)).filter((r) => r.protocol === 'bird').map((r) => r.dst).sort();
    await until('gateway routes', async () => JSON.stringify(await learned(4)) === JSON.stringify(expected4) && JSON.stringify(await learned(6)) === JSON.stringify(expected6), 20_000)
      .catch(async (err: Error) => {
        throw new Error(`${err.message}: v4 ${JSON.stringify(await learned(4))} v6 ${JSON.stringify(await learned(6))}`);
      });
    // And BIRD's own table agrees (nothing filtered on the way into the kernel).
    const table = await lab.birdc(gwSocket, 'show', 'route');
    assert.ok(!table.includes('10.65.'), `no private route in the gateway's BIRD:\n${table}`);
  });

  it('the agent\'s protocol-80 routes to another host\'s VMs are learned by BIRD but announced to no peer', async () => {
    const [c1, c2, c3] = computes as [BgpLabHost, BgpLabHost, BgpLabHost];
    // A route as the agent programs a CrossSubnet VXLAN pool's same-subnet route (plainly via
    // the remote host, protocol 80), next to the same route with another protocol as a control.
    // IPv6, because the agent's VXLAN manager owns (and would delete) IPv4 protocol-80 routes;
    // the export guard is the same in both families.
    const agentRoute = 'fd00:65::50';
    const otherRoute = 'fd00:65::51';
    const add = (dst: string, proto: string) => lab.net.in(c2.ns, ['ip', '-6', 'route', 'add', `${dst}/128`, 'via', c1.fabricIp6, 'dev', 'eth0', 'proto', proto]);
    const has = async (host: BgpLabHost, dst: string) => (await lab.routes(host, 6)).some((r) => r.dst === dst);
    await add(agentRoute, '80');
    await add(otherRoute, 'boot');
    try {
      await until('the control route announced to the gateway and to c3', async () => (await has(gw, otherRoute)) && (await has(c3, otherRoute)), 15_000);
      const learned = await lab.birdc(lab.bgpPaths(c2).socket, 'show', 'route', 'for', agentRoute, 'all');
      assert.match(learned, /kernel6/, `c2's BIRD learned the protocol-80 route from its kernel:\n${learned}`);
      assert.match(learned, /source: 80/);
      assert.equal(await has(gw, agentRoute), false, 'the gateway (eBGP) never learns it');
      assert.equal(await has(c3, agentRoute), false, 'c3 (iBGP) never learns it');
      const fromC2 = await lab.birdc(lab.bgpPaths(c3).socket, 'show', 'route', 'protocol', 'Mesh_fd00_99__12');
      assert.ok(fromC2.includes(`${otherRoute}/128`) && !fromC2.includes(`${agentRoute}/128`), `c3's BIRD got the control route from c2, not the agent's:\n${fromC2}`);
    } finally {
      await lab.net.in(c2.ns, ['ip', '-6', 'route', 'del', `${agentRoute}/128`]).catch(() => undefined);
      await lab.net.in(c2.ns, ['ip', '-6', 'route', 'del', `${otherRoute}/128`]).catch(() => undefined);
    }
    await until('the control route withdrawn from the gateway', async () => !(await has(gw, otherRoute)), 15_000);
  });

  it('outgoing NAT: a private-pool VM reaches the outside masqueraded, a public-pool VM with its own address', async () => {
    await until('outside reachable from the public VM', async () => (await sourceSeenOutside(vmPub).catch(() => '')) !== '', 15_000);
    assert.equal(await sourceSeenOutside(vmPub), vmPub.ip, 'public pool: no NAT');
    assert.equal(await sourceSeenOutside(vmPriv), computes[0]!.fabricIp, 'private pool (natOutgoing): masqueraded to the host address');
    assert.equal(await sourceSeenOutside(vmC), vmC.ip, 'public pool on another host: no NAT');
  });

  it('a configuration BIRD rejects is reported with BIRD\'s message and the old one keeps running', async () => {
    const c1 = computes[0]!;
    const before = (await status(c1))!;
    const installed = await readFile(lab.bgpPaths(c1).config, 'utf8');
    // Valid for Calico (prefix lengths only need to lie in 0–32) and rendered as Calico renders
    // it, `[ 203.0.113.0/24{24,16} ]`, which BIRD refuses: a maximum below the CIDR's own length.
    await store.apply(resource('BGPFilter', 'bad-prefix-range', { exportV4: [{ action: 'Reject', matchOperator: 'In', cidr: PUBLIC_POOL, prefixLength: { max: 16 } }] }));
    await until('the rejection reported in the status file', async () => (await status(c1))?.lastError?.stage === 'check', 10_000);
    const failed = (await status(c1))!;
    assert.equal(failed.healthy, false);
    assert.match(failed.lastError!.message, /BIRD rejected the configuration ".*bird\.conf\.rejected": .*bird\.conf\.rejected:\d+:\d+ Invalid prefix pattern range: \{24, 16\}/);
    assert.equal(failed.config.sha256, before.config.sha256, 'the installed configuration is unchanged');
    assert.equal(await readFile(lab.bgpPaths(c1).config, 'utf8'), installed);
    const sessions = await lab.bgpSessions(lab.bgpPaths(c1).socket);
    assert.equal(sessions.get('Mesh_10_99_0_12'), 'Established', 'sessions stay up');
    assert.equal(sessions.get('Node_10_99_0_1'), 'Established', 'the gateway session stays up');
    assert.equal(await lab.net.pings(vmPriv, vmB.ip), true);

    await store.delete({ kind: 'BGPFilter', name: 'bad-prefix-range' });
    await until('healthy again once the filter is gone', async () => (await status(c1))?.healthy === true, 10_000);
    assert.equal((await status(c1))!.lastError, undefined);
  });

  it('a BIRD that dies is restarted by the daemon; forwarding carries on meanwhile (persist + graceful restart)', async () => {
    const c2 = computes[1]!;
    const pid = Number((await readFile(join(c2.dir, 'run', 'bird.pid'), 'utf8')).trim());
    assert.ok(pid > 0);
    process.kill(pid, 'SIGKILL');
    const killed = Date.now();
    assert.equal((await vmRoutes(c2)).get(vmPriv.ip), 'bird', 'c2 keeps the routes the dead BIRD installed');
    assert.equal(await lab.net.pings(vmPriv, vmB.ip), true, 'c1 → c2 still forwards while c2 has no BIRD');
    await until('BIRD restarted and its sessions back', async () => {
      const s = await lab.bgpSessions(lab.bgpPaths(c2).socket);
      return s.get('Mesh_10_99_0_11') === 'Established' && s.get('Mesh_10_99_0_13') === 'Established';
    }, 30_000);
    console.log(`# BIRD killed → restarted by percale bgp, sessions Established: ${Date.now() - killed} ms`);
    await until('restart recorded in the status file', async () => ((await lab.bgpStatus(c2))?.['bird'] as { restarts?: number } | undefined)?.restarts === 1, 10_000);
    await until('mesh routes after the restart', meshConverged, 30_000);
    assert.equal(await lab.net.tcpConnects(vmB, vmPriv.ip, TCP_PORT), true);
  });

  it('calicoctl node status shows the Established sessions', async () => {
    const c1 = computes[0]!;
    const { stdout } = await exec(calicoctlBin, ['node', 'status'], { env: { ...process.env, PERCALE_BIRD_SOCKET: lab.bgpPaths(c1).socket }, timeout: 15_000 });
    assert.match(stdout, /Calico process is running\./);
    assert.match(stdout, /\| 10\.99\.0\.12 +\| node-to-node mesh \| up +\| [^|]+\| Established +\|/);
    assert.match(stdout, /\| 10\.99\.0\.1 +\| node specific +\| up +\| [^|]+\| Established +\|/);
    assert.match(stdout, /\| fd00:99::1 +\| node specific +\| up +\| [^|]+\| Established +\|/);
    console.log(stdout.replace(/^/gm, '# '));
  });

  it('route-reflector mode: mesh off, every node peers with the reflector; same reachability', async () => {
    await store.apply(resource('BGPPeer', 'peer-with-route-reflectors', { nodeSelector: 'all()', peerSelector: "route-reflector == 'true'" }));
    await store.apply(resource('BGPConfiguration', 'default', { nodeToNodeMeshEnabled: false, asNumber: CLUSTER_AS }));
    const start = Date.now();
    await until('clients peer only with the reflector', async () => {
      for (const h of computes) {
        const s = await lab.bgpSessions(lab.bgpPaths(h).socket);
        if (s.get('Node_10_99_0_5') !== 'Established' || [...s.keys()].some((n) => n.startsWith('Mesh_'))) return false;
      }
      return true;
    }, 30_000);
    const reflector = await lab.bgpSessions(lab.bgpPaths(rr).socket);
    for (const h of computes) assert.equal(reflector.get(`Node_${h.fabricIp.replaceAll('.', '_')}`), 'Established', `reflector ↔ ${h.name}`);
    const rrStatus = (await lab.bgpStatus(rr)) as { bird: { managed: boolean }; lastReload?: { result: string } };
    assert.equal(rrStatus.bird.managed, false, 'the reflector\'s BIRD is the operator\'s');
    assert.equal(rrStatus.lastReload?.result, 'Reconfigured', 'and was reconfigured over its socket');
    await until('routes through the reflector in every kernel', meshConverged, 30_000);
    console.log(`# mesh → route reflector: sessions and routes back ${Date.now() - start} ms after the change`);
    // A reflected route keeps the originating host as next hop.
    const viaC2 = (await lab.routes(computes[0]!)).find((r) => r.dst === vmB.ip);
    assert.equal(viaC2?.gateway, '10.99.0.12');
    const shown = await lab.birdc(lab.bgpPaths(computes[0]!).socket, 'show', 'route', 'for', vmB.ip, 'all');
    assert.match(shown, /Node_10_99_0_5/, `learned from the reflector:\n${shown}`);
    assert.equal(await lab.net.pings(vmPriv, vmB.ip), true, 'c1 → c2 ping');
    assert.equal(await lab.net.tcpConnects(vmB, vmC.ip, TCP_PORT), true, 'c2 → c3 TCP');
    assert.equal(await lab.net.pings(vmC, vmPriv.ip), true, 'c3 → c1 ping');
  });

  it('SIGTERM stops percale bgp and its BIRD cleanly: peers withdraw the host\'s routes, its own kernel keeps them', async () => {
    const c3 = computes[2]!;
    const birdPid = Number((await readFile(join(c3.dir, 'run', 'bird.pid'), 'utf8')).trim());
    const code = await lab.net.stop(daemons.get(c3)!.child);
    assert.equal(code, 0, daemons.get(c3)!.output());
    assert.throws(() => process.kill(birdPid, 0), 'BIRD is gone too');
    await until('c1 withdrew c3\'s VM routes', async () => !(await vmRoutes(computes[0]!)).has(vmC.ip), 10_000);
    assert.equal((await vmRoutes(c3)).get(vmPriv.ip), 'bird', 'persist: c3 keeps the routes BIRD installed');
  });
});
