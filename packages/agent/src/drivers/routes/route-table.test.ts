import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExecError } from '../../shims/exec.ts';
import type { ConntrackShim } from '../../shims/conntrack.ts';
import type { IPFamily } from '../../shims/ip.ts';
import { RouteTable, type RouteTableOptions } from './route-table.ts';
import { FakeKernel, FakeTimers, kernelLink, kernelRoute } from './testing/fake-kernel.ts';

class FakeConntrack implements ConntrackShim {
  readonly calls: { family: IPFamily; ip: string; afterBatches: number }[] = [];
  missing = false;
  readonly kernel: FakeKernel;
  constructor(kernel: FakeKernel) {
    this.kernel = kernel;
  }
  async deleteFlowsOf(family: IPFamily, ip: string): Promise<void> {
    if (this.missing) throw new ExecError(['conntrack'], 'spawn conntrack ENOENT');
    this.calls.push({ family, ip, afterBatches: this.kernel.batches.length });
  }
}

function setup(options: Partial<RouteTableOptions> = {}) {
  const kernel = new FakeKernel();
  const timers = new FakeTimers();
  const conntrack = new FakeConntrack(kernel);
  const warnings: string[] = [];
  const log = { debug() {}, info() {}, warn: (m: string) => { warnings.push(m); }, error: (m: string) => { warnings.push(m); } };
  const table = new RouteTable({ ip: kernel, conntrack, workloadPrefixes: ['tap'], timers, log, ...options });
  /** Creates a link in the fake kernel and reports it, as the interface monitor would. */
  const link = (name: string, ifindex: number, up = true) => {
    kernel.addLink(kernelLink(name, ifindex, up));
    table.onInterfaceUpdate(name, { ifindex, up });
  };
  return { kernel, timers, conntrack, table, link, warnings };
}

const MAC = 'fa:16:3e:00:00:01';

describe('RouteTable', () => {
  it('apply() programs /32 and /128 routes and a permanent IPv4 neighbour for an up interface', async () => {
    const { kernel, table, link } = setup();
    link('tap1234abcd-56', 10);
    table.setRoutes('tap1234abcd-56', [{ cidr: '10.65.0.2/32', mac: MAC }, { cidr: 'fd00:0::2/128', mac: MAC }]);
    const result = await table.apply();
    assert.deepEqual(result, { failures: 0, rescheduleAfterMs: undefined, writes: 3 });
    assert.deepEqual(kernel.batches, [[
      'route replace 10.65.0.2/32 dev tap1234abcd-56 proto 3 scope link metric 1024 table main',
      'route replace fd00::2/128 dev tap1234abcd-56 proto 3 metric 1024 table main',
      'neigh replace 10.65.0.2 lladdr fa:16:3e:00:00:01 dev tap1234abcd-56 nud permanent',
    ]]);
    assert.equal(table.desiredRouteCount, 2);
  });

  it('apply() writes nothing when the kernel already matches, also after a restart', async () => {
    const { kernel, table, link } = setup();
    link('tapA', 10);
    table.setRoutes('tapA', [{ cidr: '10.65.0.2/32', mac: MAC }]);
    await table.apply();
    assert.equal((await table.apply()).writes, 0);

    const restarted = new RouteTable({ ip: kernel, workloadPrefixes: ['tap'], timers: new FakeTimers() });
    restarted.onInterfaceUpdate('tapA', { ifindex: 10, up: true });
    restarted.setRoutes('tapA', [{ cidr: '10.65.0.2', mac: MAC.toUpperCase() }]);
    const readsBefore = kernel.reads.routes;
    assert.equal((await restarted.apply()).writes, 0);
    assert.ok(kernel.reads.routes > readsBefore, 'the first apply reads the kernel back');
    assert.equal(kernel.batches.length, 1);
  });

  it('apply() touches only the changed routes on an incremental update, without reading the kernel', async () => {
    const { kernel, table, link } = setup();
    link('tapA', 10);
    link('tapB', 11);
    table.setRoutes('tapA', [{ cidr: '10.65.0.2/32', mac: MAC }]);
    table.setRoutes('tapB', [{ cidr: '10.65.0.3/32' }]);
    await table.apply();
    const reads = { ...kernel.reads };
    table.setRoutes('tapA', [{ cidr: '10.65.0.2/32', mac: MAC }, { cidr: '10.65.0.9/32', mac: MAC }]);
    await table.apply();
    assert.deepEqual(kernel.batches.at(-1), [
      'route replace 10.65.0.9/32 dev tapA proto 3 scope link metric 1024 table main',
      'neigh replace 10.65.0.9 lladdr fa:16:3e:00:00:01 dev tapA nud permanent',
    ]);
    assert.deepEqual(kernel.reads, reads);
  });

  it('apply() programs routes only while the interface is up, removing and restoring them', async () => {
    const { kernel, table, link } = setup();
    link('tapA', 10, false);
    table.setRoutes('tapA', [{ cidr: '10.65.0.2/32', mac: MAC }]);
    await table.apply();
    assert.equal(kernel.route('10.65.0.2/32'), undefined);

    kernel.links.get('tapA')!.adminUp = true;
    table.onInterfaceUpdate('tapA', { ifindex: 10, up: true });
    await table.apply();
    assert.equal(kernel.route('10.65.0.2/32')?.dev, 'tapA');
    assert.equal(kernel.neighbours.length, 1);

    table.onInterfaceUpdate('tapA', { ifindex: 10, up: false });
    const result = await table.apply();
    assert.equal(result.rescheduleAfterMs, undefined, 'routes the table wrote itself are removed without a grace period');
    assert.equal(kernel.route('10.65.0.2/32'), undefined);
    assert.equal(kernel.neighbours.length, 0);
  });

  describe('ownership', () => {
    const foreign = [
      kernelRoute('192.0.2.0/24', { dev: 'eth0', protocol: 4, scope: 253 }),
      kernelRoute('10.1.0.0/16', { dev: 'eth0', gateway: '10.0.0.1', protocol: 12 }),
      kernelRoute('10.65.7.7/32', { dev: 'eth0', protocol: 3, metric: 1024 }),
      kernelRoute('fe80::/64', { dev: 'tapB', protocol: 2, metric: 256 }),
    ];
    const cases: { name: string; removeExternalRoutes: boolean; protocol?: number; kept: string[]; deleted: string[] }[] = [
      {
        name: 'RemoveExternalRoutes=true: every route via a workload interface, and protocol 80 anywhere',
        removeExternalRoutes: true,
        kept: ['192.0.2.0/24', '10.1.0.0/16', '10.65.7.7/32', 'fe80::/64'],
        deleted: ['10.65.9.9/32', '10.65.9.8/32', '10.9.0.0/24'],
      },
      {
        name: 'RemoveExternalRoutes=false: only routes with our protocols on workload interfaces',
        removeExternalRoutes: false,
        kept: ['192.0.2.0/24', '10.1.0.0/16', '10.65.7.7/32', 'fe80::/64', '10.65.9.9/32'],
        deleted: ['10.65.9.8/32', '10.9.0.0/24'],
      },
      {
        name: 'a non-boot DeviceRouteProtocol is exclusive: routes with it are ours on any interface',
        removeExternalRoutes: false,
        protocol: 4,
        kept: ['10.1.0.0/16', '10.65.7.7/32', 'fe80::/64', '10.65.9.8/32', '10.9.0.0/24'],
        deleted: ['192.0.2.0/24', '10.65.9.9/32'],
      },
    ];
    for (const c of cases) {
      it(`apply() deletes exactly the owned, unwanted routes: ${c.name}`, async () => {
        const { kernel, table, link, timers } = setup({ removeExternalRoutes: c.removeExternalRoutes, deviceRouteProtocol: c.protocol });
        link('eth0', 2);
        link('tapB', 11);
        kernel.routes.push(
          ...foreign.map((r) => ({ ...r })),
          kernelRoute('10.65.9.9/32', { dev: 'tapB', protocol: 4, scope: 253 }),
          kernelRoute('10.65.9.8/32', { dev: 'tapB', protocol: 3, scope: 253, metric: 1024 }),
          kernelRoute('10.9.0.0/24', { type: 6, protocol: 80 }),
        );
        timers.advance(10_000);
        await table.apply();
        const present = kernel.routes.map((r) => r.dst);
        for (const dst of c.kept) assert.ok(present.includes(dst), `${dst} kept`);
        for (const dst of c.deleted) assert.ok(!present.includes(dst), `${dst} deleted`);
      });
    }

    it('apply() renders deletes with type, device and metric so only that route goes', async () => {
      const { kernel, table, link, timers } = setup();
      link('tapB', 11);
      kernel.routes.push(kernelRoute('10.65.9.9/32', { dev: 'tapB', protocol: 4, metric: 0 }), kernelRoute('10.9.0.0/24', { type: 6, protocol: 80 }));
      timers.advance(10_000);
      await table.apply();
      assert.deepEqual(kernel.batches, [[
        'route del 10.65.9.9/32 dev tapB metric 0 table main',
        'route del blackhole 10.9.0.0/24 metric 0 table main',
      ]]);
    });

    it('apply() takes over a foreign route with the same destination and metric (replace semantics)', async () => {
      const { kernel, table, link } = setup();
      link('eth0', 2);
      link('tapA', 10);
      kernel.routes.push(kernelRoute('10.65.0.2/32', { dev: 'eth0', protocol: 12, metric: 1024 }));
      table.setRoutes('tapA', [{ cidr: '10.65.0.2/32' }]);
      await table.apply();
      assert.deepEqual(kernel.routes.map((r) => `${r.dst} ${r.dev}`), ['10.65.0.2/32 tapA']);
    });

    it('apply() never deletes a foreign route it once wanted to take over but did not', async () => {
      const { kernel, table, link } = setup();
      link('eth0', 2);
      link('tapA', 10);
      kernel.routes.push(kernelRoute('10.65.0.2/32', { dev: 'eth0', protocol: 12, metric: 1024 }));
      table.setRoutes('tapA', [{ cidr: '10.65.0.2/32' }]);
      // With conntrack cleanup on, taking over an address starts by deleting the old route: make
      // that fail, so the foreign route stays in the table's view while the address is wanted.
      kernel.failLines.set('route del 10.65.0.2/32 dev eth0 metric 1024 table main', 'RTNETLINK answers: Operation not permitted');
      assert.equal((await table.apply()).failures, 1);
      assert.equal(kernel.batches.length, 1, 'the new route waits until the old one is gone');
      table.onInterfaceUpdate('tapA', { ifindex: 10, up: false });
      await table.apply();
      assert.equal(kernel.route('10.65.0.2/32')?.dev, 'eth0');
    });
  });

  describe('grace period', () => {
    it('apply() keeps unexpected routes on a newly seen workload interface for 10 s, then deletes them', async () => {
      const { kernel, table, link, timers } = setup();
      link('tapB', 11);
      kernel.routes.push(kernelRoute('10.65.9.9/32', { dev: 'tapB', protocol: 3, scope: 253, metric: 1024 }));
      kernel.neighbours.push({ ip: '10.65.9.9', dev: 'tapB', lladdr: MAC, permanent: true });
      timers.advance(4_000);
      const first = await table.apply();
      assert.equal(first.rescheduleAfterMs, 6_000);
      assert.equal(kernel.routes.length, 1);
      assert.equal(kernel.neighbours.length, 1);

      timers.advance(6_000);
      const second = await table.apply();
      assert.equal(second.rescheduleAfterMs, undefined);
      assert.equal(kernel.routes.length, 0);
      assert.equal(kernel.neighbours.length, 0);
    });

    it('apply() leaves routes on interfaces the monitor has not reported until the grace period after it does', async () => {
      const { kernel, table, link, timers } = setup();
      kernel.addLink(kernelLink('tapZ', 12));
      kernel.routes.push(kernelRoute('10.65.9.9/32', { dev: 'tapZ', protocol: 3, scope: 253, metric: 1024 }));
      timers.advance(60_000);
      assert.equal((await table.apply()).rescheduleAfterMs, undefined);
      assert.equal(kernel.routes.length, 1);

      link('tapZ', 12);
      assert.equal((await table.apply()).rescheduleAfterMs, 10_000);
      timers.advance(10_000);
      await table.apply();
      assert.equal(kernel.routes.length, 0);
    });

    it('onInterfaceUpdate() restarts the grace period when an interface is recreated with a new index', async () => {
      const { kernel, table, link, timers } = setup();
      link('tapB', 11);
      timers.advance(20_000);
      kernel.deleteLink('tapB');
      link('tapB', 15);
      kernel.routes.push(kernelRoute('10.65.9.9/32', { dev: 'tapB', protocol: 3, scope: 253, metric: 1024 }));
      table.queueResync();
      assert.equal((await table.apply()).rescheduleAfterMs, 10_000);
    });
  });

  describe('resync', () => {
    it('apply() after queueResync() restores a deleted route and repairs a changed one, touching nothing else', async () => {
      const { kernel, table, link } = setup();
      link('tapA', 10);
      link('tapB', 11);
      link('tapC', 12);
      table.setRoutes('tapA', [{ cidr: '10.65.0.2/32' }]);
      table.setRoutes('tapB', [{ cidr: '10.65.0.3/32' }]);
      table.setRoutes('tapC', [{ cidr: '10.65.0.4/32' }]);
      await table.apply();
      kernel.routes = kernel.routes.filter((r) => r.dst !== '10.65.0.2/32');
      kernel.route('10.65.0.3/32')!.protocol = 4;

      assert.equal((await table.apply()).writes, 0, 'an incremental apply does not read the kernel');
      table.queueResync();
      await table.apply();
      assert.deepEqual(kernel.batches.at(-1), [
        'route replace 10.65.0.2/32 dev tapA proto 3 scope link metric 1024 table main',
        'route replace 10.65.0.3/32 dev tapB proto 3 scope link metric 1024 table main',
      ]);
    });

    it('apply() removes a stale duplicate with another metric on the same interface', async () => {
      const { kernel, table, link, timers } = setup();
      link('tapA', 10);
      table.setRoutes('tapA', [{ cidr: '10.65.0.2/32' }]);
      kernel.routes.push(kernelRoute('10.65.0.2/32', { dev: 'tapA', protocol: 3, scope: 253, metric: 512 }));
      timers.advance(10_000);
      await table.apply();
      assert.deepEqual(kernel.routes.map((r) => r.metric), [1024]);
    });
  });

  it('apply() routes a CIDR claimed by two up interfaces to the one with the higher index', async () => {
    const { kernel, table, link } = setup();
    link('tapA', 10);
    link('tapB', 11);
    table.setRoutes('tapB', [{ cidr: '10.65.0.2/32' }]);
    table.setRoutes('tapA', [{ cidr: '10.65.0.2/32' }]);
    await table.apply();
    assert.equal(kernel.route('10.65.0.2/32')?.dev, 'tapB');
    table.onInterfaceUpdate('tapB', { ifindex: 11, up: false });
    await table.apply();
    assert.equal(kernel.route('10.65.0.2/32')?.dev, 'tapA');
  });

  describe('neighbours', () => {
    it('apply() replaces an entry whose MAC changed and flushes entries no longer wanted', async () => {
      const { kernel, table, link } = setup();
      link('tapA', 10);
      table.setRoutes('tapA', [{ cidr: '10.65.0.2/32', mac: MAC }, { cidr: '10.65.0.3/32', mac: MAC }]);
      await table.apply();
      table.setRoutes('tapA', [{ cidr: '10.65.0.2/32', mac: 'fa:16:3e:00:00:02' }]);
      await table.apply();
      assert.deepEqual(kernel.batches.at(-1), [
        'route del 10.65.0.3/32 dev tapA metric 1024 table main',
        'neigh replace 10.65.0.2 lladdr fa:16:3e:00:00:02 dev tapA nud permanent',
        'neigh flush to 10.65.0.3 dev tapA nud permanent',
      ]);
      assert.deepEqual(kernel.neighbours.map((n) => `${n.ip} ${n.lladdr}`), ['10.65.0.2 fa:16:3e:00:00:02']);
    });

    it('setRoutes() adds no neighbour for an invalid MAC, an IPv6 address or a wider prefix', async () => {
      const { kernel, table, link } = setup();
      link('tapA', 10);
      table.setRoutes('tapA', [{ cidr: '10.65.0.2/32', mac: 'not-a-mac' }, { cidr: 'fd00::2/128', mac: MAC }, { cidr: '10.70.0.0/24', mac: MAC }]);
      await table.apply();
      assert.equal(kernel.neighbours.length, 0);
      assert.equal(kernel.routes.length, 3);
    });
  });

  describe('failures', () => {
    it('apply() keeps a failed write queued and retries it, leaving the rest applied', async () => {
      const { kernel, table, link } = setup();
      link('tapA', 10);
      link('tapB', 11);
      const bad = 'route replace 10.65.0.3/32 dev tapB proto 3 scope link metric 1024 table main';
      kernel.failLines.set(bad, 'Error: Device for nexthop is not up.');
      table.setRoutes('tapA', [{ cidr: '10.65.0.2/32' }]);
      table.setRoutes('tapB', [{ cidr: '10.65.0.3/32' }]);
      assert.equal((await table.apply()).failures, 1);
      assert.equal(kernel.route('10.65.0.2/32')?.dev, 'tapA');
      kernel.failLines.clear();
      assert.equal((await table.apply()).failures, 0);
      assert.deepEqual(kernel.batches.at(-1), [bad]);
    });

    it('apply() treats deleting an already vanished route as done', async () => {
      const { kernel, table, link } = setup();
      link('tapA', 10);
      table.setRoutes('tapA', [{ cidr: '10.65.0.2/32' }]);
      await table.apply();
      kernel.routes = [];
      table.setRoutes('tapA', []);
      assert.equal((await table.apply()).failures, 0);
      assert.equal((await table.apply()).writes, 0);
    });

    it('apply() re-reads the kernel after a batch that stopped early', async () => {
      const { kernel, table, link } = setup();
      link('tapA', 10);
      table.setRoutes('tapA', [{ cidr: '10.65.0.2/32' }, { cidr: '10.65.0.3/32' }]);
      kernel.abortAfter = 1;
      assert.equal((await table.apply()).failures, 2);
      const reads = kernel.reads.routes;
      await table.apply();
      assert.ok(kernel.reads.routes > reads);
      assert.deepEqual(kernel.batches.at(-1), ['route replace 10.65.0.3/32 dev tapA proto 3 scope link metric 1024 table main']);
    });

    it('apply() rejects a second apply while one is running', async () => {
      const { table } = setup();
      const first = table.apply();
      await assert.rejects(table.apply(), /while an apply is running/);
      await first;
    });
  });

  describe('conntrack', () => {
    it('apply() deletes the flows of an address after its route is removed', async () => {
      const { kernel, table, link, conntrack } = setup();
      link('tapA', 10);
      table.setRoutes('tapA', [{ cidr: '10.65.0.2/32' }, { cidr: 'fd00::2/128' }]);
      await table.apply();
      assert.deepEqual(conntrack.calls, []);
      table.setRoutes('tapA', []);
      await table.apply();
      assert.deepEqual(conntrack.calls, [
        { family: 4, ip: '10.65.0.2', afterBatches: 2 },
        { family: 6, ip: 'fd00::2', afterBatches: 2 },
      ]);
      assert.equal(kernel.routes.length, 0);
    });

    it('apply() moves an address between interfaces in two steps: old route and flows first, then the new route', async () => {
      const { kernel, table, link, conntrack } = setup();
      link('tapA', 10);
      link('tapB', 11);
      table.setRoutes('tapA', [{ cidr: '10.65.0.2/32' }]);
      await table.apply();
      table.setRoutes('tapA', []);
      table.setRoutes('tapB', [{ cidr: '10.65.0.2/32' }]);
      await table.apply();
      assert.deepEqual(kernel.batches.slice(1), [
        ['route del 10.65.0.2/32 dev tapA metric 1024 table main'],
        ['route replace 10.65.0.2/32 dev tapB proto 3 scope link metric 1024 table main'],
      ]);
      assert.deepEqual(conntrack.calls, [{ family: 4, ip: '10.65.0.2', afterBatches: 2 }]);
    });

    it('apply() deletes the flows of addresses whose interface vanished', async () => {
      const { kernel, table, link, conntrack } = setup();
      link('tapA', 10);
      table.setRoutes('tapA', [{ cidr: '10.65.0.2/32' }]);
      await table.apply();
      kernel.deleteLink('tapA');
      table.onInterfaceUpdate('tapA', undefined);
      await table.apply();
      assert.deepEqual(conntrack.calls.map((c) => c.ip), ['10.65.0.2']);
    });

    it('apply() keeps the flows when only the metric of an address changes on the same interface', async () => {
      const { kernel, table, link, conntrack, timers } = setup();
      link('tapA', 10);
      kernel.routes.push(kernelRoute('10.65.0.2/32', { dev: 'tapA', protocol: 3, scope: 253, metric: 512 }));
      table.setRoutes('tapA', [{ cidr: '10.65.0.2/32' }]);
      timers.advance(10_000);
      await table.apply();
      assert.deepEqual(conntrack.calls, []);
    });

    it('apply() warns once and stops cleaning when conntrack is not installed', async () => {
      const { table, link, conntrack, warnings } = setup();
      conntrack.missing = true;
      link('tapA', 10);
      table.setRoutes('tapA', [{ cidr: '10.65.0.2/32' }, { cidr: '10.65.0.3/32' }]);
      await table.apply();
      table.setRoutes('tapA', []);
      assert.equal((await table.apply()).failures, 0);
      assert.deepEqual(warnings.filter((w) => /conntrack is not installed/.test(w)).length, 1);
    });
  });

  it('apply() with IPv6 off neither reads nor writes IPv6 routes', async () => {
    const { kernel, table, link } = setup({ ipv6: false });
    link('tapA', 10);
    table.setRoutes('tapA', [{ cidr: 'fd00::2/128' }, { cidr: '10.65.0.2/32' }]);
    const calls: IPFamily[] = [];
    const list = kernel.listRoutes.bind(kernel);
    kernel.listRoutes = (f: IPFamily) => { calls.push(f); return list(f); };
    await table.apply();
    assert.deepEqual(calls, [4]);
    assert.deepEqual(kernel.routes.map((r) => r.dst), ['10.65.0.2/32']);
  });

  it('apply() writes the configured protocol, metrics and source addresses', async () => {
    const { kernel, table, link } = setup({ deviceRouteProtocol: 80, ipv4Metric: 100, ipv6Metric: 0, ipv4Source: '10.0.0.1', ipv6Source: 'fd00:0:0::1' });
    link('tapA', 10);
    table.setRoutes('tapA', [{ cidr: '10.65.0.2/32' }, { cidr: 'fd00::2/128' }]);
    await table.apply();
    assert.deepEqual(kernel.batches, [[
      'route replace 10.65.0.2/32 dev tapA proto 80 scope link metric 100 src 10.0.0.1 table main',
      'route replace fd00::2/128 dev tapA proto 80 metric 1024 src fd00::1 table main',
    ]]);
    assert.equal((await table.apply()).writes, 0);
    table.queueResync();
    assert.equal((await table.apply()).writes, 0, 'the read-back compares equal to what was written');
  });
});
