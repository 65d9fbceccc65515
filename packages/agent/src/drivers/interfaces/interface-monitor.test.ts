import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KernelLink } from '../../shims/ip.ts';
import { FakeKernel, FakeTimers, kernelLink } from '../routes/testing/fake-kernel.ts';
import { InterfaceMonitor, parseMonitorLine, type InterfaceMonitorOptions } from './interface-monitor.ts';

function setup(options: Partial<InterfaceMonitorOptions> = {}) {
  const kernel = new FakeKernel();
  const timers = new FakeTimers();
  const updates: [string, boolean | undefined][] = [];
  let inSyncCalls = 0;
  const monitor = new InterfaceMonitor({
    ip: kernel,
    prefixes: ['tap'],
    timers,
    onUpdate: (name: string, link: KernelLink | undefined) => updates.push([name, link?.operUp]),
    onInSync: () => { inSyncCalls++; },
    ...options,
  });
  return { kernel, timers, monitor, updates, inSyncCalls: () => inSyncCalls };
}

/** Lets the monitor's pending reads finish. */
async function settle(monitor: InterfaceMonitor): Promise<void> {
  await monitor.settled();
  await new Promise((r) => setImmediate(r));
  await monitor.settled();
}

describe('parseMonitorLine()', () => {
  const cases: [string, { ifindex: number; name: string } | undefined][] = [
    ['4: tap99999999-99@x99: <NO-CARRIER,BROADCAST,MULTICAST,UP,M-DOWN> mtu 1500 qdisc noqueue state LOWERLAYERDOWN group default \\    link/ether ea:1d:a2:b5:9e:e1 brd ff:ff:ff:ff:ff:ff', { ifindex: 4, name: 'tap99999999-99' }],
    ['6: tapabcdef01-23: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN', { ifindex: 6, name: 'tapabcdef01-23' }],
    ['Deleted 4: tap99999999-99@NONE: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN group default', { ifindex: 4, name: 'tap99999999-99' }],
    ['4: tap99999999-99    inet 192.0.2.1/32 scope global tap99999999-99\\       valid_lft forever preferred_lft forever', { ifindex: 4, name: 'tap99999999-99' }],
    ['Deleted 3: x99    inet6 fe80::1c8f:73ff:fe03:9fd6/64 scope link tentative', { ifindex: 3, name: 'x99' }],
    ['10.65.0.2 dev tap1 proto boot scope link metric 1024', undefined],
    ['Deleted fe80::/64 dev tap1 proto kernel metric 256 pref medium', undefined],
  ];
  for (const [line, want] of cases) {
    it(`parseMonitorLine() reads ${JSON.stringify(line.slice(0, 40))}`, () => assert.deepEqual(parseMonitorLine(line), want));
  }
});

describe('InterfaceMonitor', () => {
  it('start() reports the tracked interfaces of the first full scan, then goes in sync once', async () => {
    const { kernel, monitor, updates, inSyncCalls, timers } = setup({ excludes: ['tapskip', /^tapx/] });
    kernel.addLink(kernelLink('tapA', 10));
    kernel.addLink(kernelLink('tapB', 11, false));
    kernel.addLink(kernelLink('eth0', 2));
    kernel.addLink(kernelLink('tapskip', 12));
    kernel.addLink(kernelLink('tapx1', 13));
    assert.equal(monitor.inSync, false);
    monitor.start();
    await settle(monitor);
    assert.equal(monitor.inSync, true);
    assert.equal(inSyncCalls(), 1);
    assert.deepEqual(updates, [['tapA', true], ['tapB', false]]);
    timers.advance(1_000);
    await settle(monitor);
    assert.equal(inSyncCalls(), 1);
    assert.deepEqual(updates.length, 2, 'an unchanged rescan reports nothing');
    await monitor.stop();
  });

  it('an event line makes the monitor re-read just that interface and report its new state', async () => {
    const { kernel, monitor, updates } = setup();
    kernel.addLink(kernelLink('tapA', 10, false));
    monitor.start();
    await settle(monitor);
    const fullScans = kernel.reads.links;
    kernel.links.get('tapA')!.operUp = true;
    kernel.monitorHandlers!.onLine('10: tapA@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 state UP');
    await settle(monitor);
    assert.deepEqual(updates.at(-1), ['tapA', true]);
    assert.equal(kernel.reads.links, fullScans, 'no full scan for one change');
    assert.equal(kernel.reads.link, 1);

    kernel.deleteLink('tapA');
    kernel.monitorHandlers!.onLine('Deleted 10: tapA@NONE: <BROADCAST,MULTICAST> mtu 1500 state DOWN');
    await settle(monitor);
    assert.deepEqual(updates.at(-1), ['tapA', undefined]);
    assert.equal(monitor.links.has('tapA'), false);
    await monitor.stop();
  });

  it('ignores events of untracked interfaces and of link-local addresses, and reports address changes', async () => {
    const { kernel, monitor, updates } = setup();
    kernel.addLink(kernelLink('tapA', 10));
    monitor.start();
    await settle(monitor);
    kernel.monitorHandlers!.onLine('2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 state UP');
    await settle(monitor);
    assert.equal(kernel.reads.link, 0);
    kernel.monitorHandlers!.onLine('10: tapA    inet6 fe80::e81d:a2ff:feb5:9ee1/64 scope link \\       valid_lft forever preferred_lft forever');
    await settle(monitor);
    assert.equal(kernel.reads.link, 0, 'IPv6 link-local address events are ignored');
    kernel.links.get('tapA')!.addrs = ['169.254.1.1/32'];
    kernel.monitorHandlers!.onLine('10: tapA    inet 169.254.1.1/32 scope global tapA');
    await settle(monitor);
    assert.deepEqual(monitor.links.get('tapA')?.addrs, ['169.254.1.1/32']);
    assert.equal(updates.length, 2);
    await monitor.stop();
  });

  it('reports a renamed interface as gone under its old name', async () => {
    const { kernel, monitor, updates } = setup();
    kernel.addLink(kernelLink('tapA', 10));
    monitor.start();
    await settle(monitor);
    kernel.links.delete('tapA');
    kernel.addLink(kernelLink('tapRenamed', 10));
    kernel.monitorHandlers!.onLine('10: tapRenamed: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 state UP');
    await settle(monitor);
    assert.deepEqual(updates.slice(1).sort(), [['tapA', undefined], ['tapRenamed', true]]);
    await monitor.stop();
  });

  it('does one full scan instead of many queries when many interfaces change at once', async () => {
    const { kernel, monitor, updates } = setup({ fullScanThreshold: 3 });
    monitor.start();
    await settle(monitor);
    const scans = kernel.reads.links;
    for (let i = 0; i < 10; i++) {
      kernel.addLink(kernelLink(`tap${i}`, 20 + i));
      kernel.monitorHandlers!.onLine(`${20 + i}: tap${i}: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 state UP`);
    }
    await settle(monitor);
    assert.equal(updates.length, 10);
    assert.ok(kernel.reads.links - scans <= 2, `at most two full scans, saw ${kernel.reads.links - scans}`);
    assert.ok(kernel.reads.link <= 1, `at most the one query already under way, saw ${kernel.reads.link}`);
    await monitor.stop();
  });

  it('does not report the possibly older scan view of an interface that changed during the scan', async () => {
    const { kernel, monitor, updates } = setup();
    kernel.addLink(kernelLink('tapA', 10, false));
    const list = kernel.listLinks.bind(kernel);
    let first = true;
    kernel.listLinks = async () => {
      const links = await list();
      if (first) {
        first = false;
        // The link comes up after the scan read it, before the scan result is handled.
        kernel.links.get('tapA')!.operUp = true;
        kernel.monitorHandlers!.onLine('10: tapA: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 state UP');
      }
      return links;
    };
    monitor.start();
    await settle(monitor);
    assert.deepEqual(updates, [['tapA', true]]);
    await monitor.stop();
  });

  it('restarts the event process with back-off when it dies, and rescans after each restart', async () => {
    const { kernel, monitor, timers } = setup();
    monitor.start();
    await settle(monitor);
    assert.equal(kernel.monitorStarts, 1);
    kernel.monitorHandlers!.onExit('"ip -o monitor link address" ended with exit status 1');
    timers.advance(999);
    assert.equal(kernel.monitorStarts, 1);
    timers.advance(1);
    assert.equal(kernel.monitorStarts, 2);
    const scans = kernel.reads.links;
    await settle(monitor);
    assert.ok(kernel.reads.links > scans);
    kernel.monitorHandlers!.onExit('again');
    timers.advance(1_999);
    assert.equal(kernel.monitorStarts, 2, 'the second restart waits twice as long');
    timers.advance(1);
    assert.equal(kernel.monitorStarts, 3);
    await monitor.stop();
  });

  it('rescans every refresh interval and finds a link whose events were missed', async () => {
    const { kernel, monitor, timers, updates } = setup({ refreshIntervalMs: 90_000 });
    monitor.start();
    timers.advance(2_000);
    await settle(monitor);
    kernel.addLink(kernelLink('tapA', 10));
    timers.advance(87_000);
    await settle(monitor);
    assert.deepEqual(updates, []);
    timers.advance(1_000);
    await settle(monitor);
    assert.deepEqual(updates, [['tapA', true]]);
    await monitor.stop();
    assert.equal(timers.pending, 0, 'stop() cancels every timer');
    assert.equal(kernel.monitorHandlers, undefined, 'stop() ends the event process');
  });

  it('retries a failed first scan and stays out of sync until one succeeds', async () => {
    const { kernel, monitor, timers } = setup();
    const list = kernel.listLinks.bind(kernel);
    let fail = true;
    kernel.listLinks = async () => {
      if (fail) throw new Error('Cannot open netlink socket');
      return list();
    };
    monitor.start();
    await settle(monitor);
    assert.equal(monitor.inSync, false);
    fail = false;
    timers.advance(1_000);
    await settle(monitor);
    assert.equal(monitor.inSync, true);
    await monitor.stop();
  });
});
