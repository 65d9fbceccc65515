/**
 * Unit tests of the VXLAN driver against a scripted kernel: the commands it writes for a
 * fresh device, remote VTEPs and routes (Always and CrossSubnet), what a second apply with the
 * kernel already right writes (nothing), repairs, and removal when the last VXLAN pool goes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { DataplaneMessage, IPPoolInfo } from '../../messages.ts';
import type { BatchResult, KernelRoute } from '../../shims/ip.ts';
import type { VxlanFdbEntry, VxlanKernel, VxlanLink, VxlanNeighbour } from './vxlan-kernel.ts';
import { VxlanManager } from './vxlan-manager.ts';

const OK: BatchResult = { failures: new Map(), aborted: false, stderr: '' };

/** A kernel whose state the test sets; writes are recorded, not applied. */
class ScriptedKernel implements VxlanKernel {
  device: VxlanLink | undefined;
  parent: VxlanLink = { name: 'eth0', mtu: 1500, mac: '52:54:00:00:00:01', adminUp: true, addrs: ['10.0.0.1/24'], kind: undefined };
  kernelRoutes: KernelRoute[] = [];
  neigh: VxlanNeighbour[] = [];
  fdbEntries: VxlanFdbEntry[] = [];
  readonly written: string[] = [];
  linkReads = 0;
  links(name?: string): Promise<VxlanLink[]> {
    this.linkReads++;
    const all = [this.parent, ...(this.device ? [this.device] : [])];
    return Promise.resolve(name ? all.filter((l) => l.name === name) : all);
  }
  routes(): Promise<KernelRoute[]> {
    return Promise.resolve(this.kernelRoutes);
  }
  neighbours(): Promise<VxlanNeighbour[]> {
    return Promise.resolve(this.neigh);
  }
  fdb(): Promise<VxlanFdbEntry[]> {
    return Promise.resolve(this.fdbEntries);
  }
  ip(lines: readonly string[]): Promise<BatchResult> {
    this.written.push(...lines.map((l) => `ip ${l}`));
    return Promise.resolve(OK);
  }
  bridge(lines: readonly string[]): Promise<BatchResult> {
    this.written.push(...lines.map((l) => `bridge ${l}`));
    return Promise.resolve(OK);
  }
  take(): string[] {
    return this.written.splice(0);
  }
}

function pool(vxlanMode: string, ipipMode = 'Never'): IPPoolInfo {
  return { cidr: '10.65.0.0/16', natOutgoing: false, disabled: false, ipipMode, vxlanMode, disableBGPExport: false };
}

/** A main-table IPv4 route of protocol 80 as the kernel reports it. */
function r(dst: string, gateway: string | undefined, dev: string | undefined): KernelRoute {
  return { family: 4, dst, type: 1, dev, protocol: 80, scope: gateway ? 0 : 253, metric: 0, gateway, prefsrc: undefined, multipath: false };
}

const messages: DataplaneMessage[] = [
  { type: 'ippool-update', id: 'p', pool: pool('Always') },
  { type: 'vtep-update', vtep: { node: 'compute-1', parentDeviceIP: '10.0.0.1', ipv4Addr: '10.65.255.1', mac: '66:00:00:00:00:01' } },
  { type: 'vtep-update', vtep: { node: 'compute-2', parentDeviceIP: '10.0.1.2', ipv4Addr: '10.65.255.2', mac: '66:00:00:00:00:02' } },
  { type: 'route-update', route: { cidr: '10.65.1.5/32', dstNode: 'compute-2', dstNodeIP: '10.0.1.2', encap: 'vxlan', sameSubnet: false } },
  { type: 'route-update', route: { cidr: '10.65.1.6/32', dstNode: 'compute-3', dstNodeIP: '10.0.0.3', encap: 'vxlan', sameSubnet: true } },
  { type: 'route-update', route: { cidr: '10.65.1.7/32', dstNode: 'compute-4', encap: 'vxlan', sameSubnet: false } },
  { type: 'route-update', route: { cidr: '10.65.1.8/32', dstNode: 'compute-2', encap: 'ipip', sameSubnet: false } },
];

function manager(kernel: ScriptedKernel, warnings: string[] = []): VxlanManager {
  const log = { debug() {}, info() {}, error() {}, warn: (m: string) => warnings.push(m) };
  const m = new VxlanManager({ hostname: 'compute-1', workloadPrefixes: ['tap'] }, { kernel, log });
  for (const msg of messages) m.onMessage(msg);
  return m;
}

describe('VxlanManager', () => {
  it('apply() creates vxlan.calico on the interface holding the host address, then neighbours, FDB and routes', async () => {
    const kernel = new ScriptedKernel();
    await manager(kernel).apply();
    assert.deepEqual(kernel.take(), [
      'ip link add vxlan.calico type vxlan id 4096 dstport 4789 local 10.0.0.1 dev eth0 nolearning',
      'ip link set vxlan.calico address 66:00:00:00:00:01 mtu 1450 up',
      'ip addr replace 10.65.255.1/32 dev vxlan.calico',
      'ip neigh replace 10.65.255.2 lladdr 66:00:00:00:00:02 dev vxlan.calico nud permanent',
      'bridge fdb replace 66:00:00:00:00:02 dev vxlan.calico dst 10.0.1.2 self permanent',
      'ip route replace 10.65.255.2/32 dev vxlan.calico scope link proto 80',
      'ip route replace 10.65.1.5/32 via 10.65.255.2 dev vxlan.calico onlink proto 80',
      // CrossSubnet, same subnet: unencapsulated via the host. compute-4 has no VTEP: no route; IPIP: never.
      'ip route replace 10.65.1.6/32 via 10.0.0.3 proto 80',
    ]);
    assert.equal(kernel.linkReads, 1, 'one read of the links finds both the device and its parent');
  });

  it('apply() writes nothing when the kernel already matches, and repairs what drifted', async () => {
    const kernel = new ScriptedKernel();
    kernel.device = {
      name: 'vxlan.calico', mtu: 1450, mac: '66:00:00:00:00:01', adminUp: true, addrs: ['10.65.255.1/32', 'fe80::1/64'], kind: 'vxlan',
      vxlan: { vni: 4096, port: 4789, local: '10.0.0.1', parent: 'eth0', learning: false },
    };
    kernel.neigh = [{ ip: '10.65.255.2', mac: '66:00:00:00:00:02' }, { ip: '10.65.255.9', mac: '66:00:00:00:00:09' }];
    kernel.fdbEntries = [{ mac: '66:00:00:00:00:02', dst: '10.0.1.2' }, { mac: '66:00:00:00:00:09', dst: '10.0.9.9' }];
    kernel.kernelRoutes = [
      r('10.65.255.2/32', undefined, 'vxlan.calico'), r('10.65.1.5/32', '10.65.255.2', 'vxlan.calico'), r('10.65.1.6/32', '10.0.0.3', 'eth0'),
      r('10.65.9.9/32', '10.65.255.9', 'vxlan.calico'),
      // The route table's: a workload route of protocol 80, and someone else's static route.
      r('10.65.0.2/32', undefined, 'tap1'), { ...r('192.0.2.0/24', '10.0.0.254', 'eth0'), protocol: 4 },
    ];
    const m = manager(kernel);
    await m.apply();
    assert.deepEqual(kernel.take(), [
      'ip neigh del 10.65.255.9 dev vxlan.calico',
      'bridge fdb del 66:00:00:00:00:09 dev vxlan.calico dst 10.0.9.9 self',
      'ip route del 10.65.9.9/32 dev vxlan.calico proto 80 metric 0',
    ]);
    kernel.neigh.pop();
    kernel.fdbEntries.pop();
    kernel.kernelRoutes.splice(3, 1);
    m.queueResync();
    await m.apply();
    assert.deepEqual(kernel.take(), []);
    assert.equal(m.owns(kernel.kernelRoutes[4]!), false, 'protocol-80 routes on workload interfaces are the route table\'s');
    assert.equal(m.owns(kernel.kernelRoutes[2]!), true);
  });

  it('apply() recreates a device whose VNI or learning setting differs', async () => {
    const kernel = new ScriptedKernel();
    kernel.device = {
      name: 'vxlan.calico', mtu: 1450, mac: '66:00:00:00:00:01', adminUp: true, addrs: ['10.65.255.1/32'], kind: 'vxlan',
      vxlan: { vni: 1, port: 4789, local: '10.0.0.1', parent: 'eth0', learning: true },
    };
    await manager(kernel).apply();
    assert.deepEqual(kernel.take().slice(0, 3), [
      'ip link del vxlan.calico',
      'ip link add vxlan.calico type vxlan id 4096 dstport 4789 local 10.0.0.1 dev eth0 nolearning',
      'ip link set vxlan.calico address 66:00:00:00:00:01 mtu 1450 up',
    ]);
  });

  it('apply() removes the device and its routes once no pool uses VXLAN; warns once about IPIP pools', async () => {
    const kernel = new ScriptedKernel();
    const warnings: string[] = [];
    const m = manager(kernel, warnings);
    await m.apply();
    kernel.take();
    kernel.device = { name: 'vxlan.calico', mtu: 1450, mac: '66:00:00:00:00:01', adminUp: true, addrs: [], kind: 'vxlan' };
    kernel.kernelRoutes = [r('10.65.1.6/32', '10.0.0.3', 'eth0')];
    m.onMessage({ type: 'ippool-update', id: 'p', pool: pool('Never', 'Always') });
    m.onMessage({ type: 'ippool-update', id: 'p', pool: pool('Never', 'Always') });
    assert.equal(m.active, false);
    await m.apply();
    assert.deepEqual(kernel.take(), ['ip link del vxlan.calico', 'ip route del 10.65.1.6/32 dev eth0 proto 80']);
    assert.equal(warnings.filter((w) => w.includes('ipipMode "Always"')).length, 1);
    assert.match(warnings[0]!, /Percale does not program IPIP/);
    m.onMessage({ type: 'ippool-update', id: 'p6', pool: { ...pool('CrossSubnet'), cidr: 'fd00::/64' } });
    assert.match(warnings.at(-1)!, /IP pool "p6" \(fd00::\/64\) has vxlanMode "CrossSubnet", but Percale implements VXLAN for IPv4 only/);
    assert.equal(m.active, false, 'an IPv6 VXLAN pool does not turn vxlan.calico on');
  });

  it('apply() waits, with one warning, while this host has no VTEP', async () => {
    const kernel = new ScriptedKernel();
    const warnings: string[] = [];
    const m = new VxlanManager({ hostname: 'compute-9', workloadPrefixes: ['tap'] }, { kernel, log: { debug() {}, info() {}, error() {}, warn: (w: string) => warnings.push(w) } });
    for (const msg of messages) m.onMessage(msg);
    await m.apply();
    m.queueResync();
    await m.apply();
    assert.deepEqual(kernel.take(), []);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /Node "compute-9" has no IPv4 address and ipv4VXLANTunnelAddr yet/);
  });
});
