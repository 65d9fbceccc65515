/**
 * Route propagation time of `percale bgp`: a VM route appearing in one host's kernel (as the
 * agent adds it: `<ip>/32 dev tap… proto boot`) → the route installed by BIRD in another
 * host's kernel (`proto bird`), in full-mesh and route-reflector mode.
 *
 * Three compute hosts and a route reflector are network namespaces on one fabric bridge, each
 * running `percale bgp` (and so BIRD) against a real etcd over a unix socket. `ip monitor route`
 * runs in the source and the destination host and stamps each event as it reads it (system
 * clock, µs). Two times are kept per route: from the source kernel's event to the
 * destination's (`fromSourceEvent`; on a loaded machine a late-scheduled source monitor can
 * make single samples too small, even negative), and from the start of `ip route add`
 * (`fromCommand`, an upper bound that includes starting `ip`). Routes are added one at a time (each waits for its
 * arrival), then withdrawn one at a time. Prints a table and saves bench/results/bgp-propagation.json.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Resource } from '@percale/api';
import { EtcdStore, startLocalEtcd } from '@percale/datastore';
import { BgpLab, bgpLabAvailable, type BgpLabHost } from '../test/harness/bgp-lab.ts';
import { novaTapName, sh, until } from '../test/harness/netns-lab.ts';
import { machineInfo } from './_machine.ts';

const ROUTES = Number(process.env['BGP_BENCH_ROUTES'] ?? 100);
const V3 = 'projectcalico.org/v3';
const resource = (kind: string, name: string, spec: Record<string, unknown>, labels?: Record<string, string>): Resource =>
  ({ apiVersion: V3, kind, metadata: { name, ...(labels && { labels }) }, spec });

/** Arrival times of route events in one namespace, keyed by `add|del <prefix>`. */
class RouteMonitor {
  readonly seen = new Map<string, number>();
  readonly #child: ChildProcess;
  readonly #waiters = new Map<string, () => void>();

  constructor(ns: string) {
    // -tshort: `ip` stamps each message as it reads it from netlink (µs, the system clock),
    // so pipe and scheduling delays on the way to this process do not count.
    this.#child = spawn('ip', ['-n', ns, '-tshort', 'monitor', 'route'], { stdio: ['ignore', 'pipe', 'ignore'] });
    createInterface({ input: this.#child.stdout! }).on('line', (line) => {
      const m = /^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d+)\] (Deleted )?(\d+\.\d+\.\d+\.\d+)\s/.exec(line);
      if (!m) return;
      const at = Date.parse(m[1]!) + Number(`0.${m[2]}`) * 1000;
      const key = `${m[3] ? 'del' : 'add'} ${m[4]}`;
      if (!this.seen.has(key)) this.seen.set(key, at);
      this.#waiters.get(key)?.();
    });
  }

  /** Resolves with the arrival time of `key`, or rejects after `timeoutMs`. */
  wait(key: string, timeoutMs = 10_000): Promise<number> {
    const known = this.seen.get(key);
    if (known !== undefined) return Promise.resolve(known);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(key);
        reject(new Error(`no "${key}" within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiters.set(key, () => {
        clearTimeout(timer);
        this.#waiters.delete(key);
        resolve(this.seen.get(key)!);
      });
    });
  }

  stop(): void {
    this.#child.kill();
  }
}

function stats(samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]!;
  const r = (v: number) => Math.round(v * 100) / 100;
  return { n: s.length, min: r(s[0]!), p50: r(q(0.5)), p90: r(q(0.9)), p99: r(q(0.99)), max: r(s.at(-1)!), mean: r(s.reduce((a, b) => a + b, 0) / s.length) };
}

/** Adds ROUTES routes on `from` one by one, then removes them; times both at `to`. */
async function measure(from: BgpLabHost, to: BgpLabHost, tap: string, thirdOctet: number) {
  const src = new RouteMonitor(from.ns);
  const dst = new RouteMonitor(to.ns);
  await new Promise((r) => setTimeout(r, 300));
  const samples = { add: { fromEvent: [] as number[], fromCommand: [] as number[] }, withdraw: { fromEvent: [] as number[], fromCommand: [] as number[] } };
  const ips = Array.from({ length: ROUTES }, (_, i) => `10.65.${thirdOctet}.${i + 1}`);
  const once = async (kind: 'add' | 'withdraw', ip: string, args: string[]) => {
    const started = Date.now();
    await sh('ip', ['-n', from.ns, 'route', ...args]);
    const key = `${kind === 'add' ? 'add' : 'del'} ${ip}`;
    const [t0, t1] = await Promise.all([src.wait(key), dst.wait(key)]);
    samples[kind].fromEvent.push(t1 - t0);
    samples[kind].fromCommand.push(t1 - started);
  };
  try {
    for (const ip of ips) await once('add', ip, ['add', `${ip}/32`, 'dev', tap, 'proto', 'boot', 'metric', '1024']);
    for (const ip of ips) await once('withdraw', ip, ['del', `${ip}/32`, 'dev', tap]);
  } finally {
    src.stop();
    dst.stop();
  }
  return {
    add: { fromSourceEvent: stats(samples.add.fromEvent), fromCommand: stats(samples.add.fromCommand) },
    withdraw: { fromSourceEvent: stats(samples.withdraw.fromEvent), fromCommand: stats(samples.withdraw.fromCommand) },
  };
}

async function main(): Promise<void> {
  if (!(await bgpLabAvailable())) {
    console.error('bgp-propagation: needs root, ip netns, etcd and BIRD 2');
    process.exit(2);
  }
  const lab = new BgpLab();
  const socket = join(lab.dir, 'etcd.sock');
  const endpoint = `unix://${socket}:0`;
  let store: EtcdStore | undefined;
  let etcd: Awaited<ReturnType<typeof startLocalEtcd>> | undefined;
  try {
    await lab.fabric();
    etcd = await startLocalEtcd({ dataDir: join(lab.dir, 'etcd'), unixSocket: socket });
    store = new EtcdStore({ endpoints: [etcd.endpoint] });
    await store.apply(resource('IPPool', 'vms', { cidr: '10.65.0.0/16', ipipMode: 'Never', vxlanMode: 'Never', nodeSelector: 'all()' }));
    const rr = await lab.host('rr', '10.99.0.5', 'fd00:99::5');
    const hosts = [await lab.host('c1', '10.99.0.11', 'fd00:99::11'), await lab.host('c2', '10.99.0.12', 'fd00:99::12'), await lab.host('c3', '10.99.0.13', 'fd00:99::13')];
    const [a, b] = hosts as [BgpLabHost, BgpLabHost];
    const nodeName = (h: BgpLabHost) => `${lab.prefix}-${h.name}`;
    await store.apply(resource('Node', nodeName(rr), { bgp: { ipv4Address: '10.99.0.5/24', routeReflectorClusterID: '244.0.0.1' } }, { 'route-reflector': 'true' }));
    const vm = await lab.net.vm(a, 'vm', '10.65.250.1', novaTapName(randomUUID()));
    for (const h of [...hosts, rr]) lab.startBgp(h, nodeName(h), endpoint, { IP: `${h.fabricIp}/24`, IP6: 'none', PERCALE_BGP_LOGLEVEL: 'warning' });

    const sessionsUp = (want: (s: Map<string, string>) => boolean) => async () =>
      (await Promise.all([a, b].map((h) => lab.bgpSessions(lab.bgpPaths(h).socket)))).every(want);
    await until('mesh sessions', sessionsUp((s) => s.get('Mesh_10_99_0_11') === 'Established' || s.get('Mesh_10_99_0_12') === 'Established'), 30_000);
    // Measure the steady state, not a BIRD still in graceful-restart recovery.
    await until('no graceful-restart recovery', async () =>
      (await Promise.all([a, b].map((h) => lab.birdc(lab.bgpPaths(h).socket, 'show', 'status')))).every((t) => !/recovery/i.test(t)), 30_000);
    const mesh = await measure(a, b, vm.tap, 100);

    await store.apply(resource('BGPPeer', 'rr', { nodeSelector: 'all()', peerSelector: "route-reflector == 'true'" }));
    await store.apply(resource('BGPConfiguration', 'default', { nodeToNodeMeshEnabled: false }));
    await until('route-reflector sessions', sessionsUp((s) => s.get('Node_10_99_0_5') === 'Established' && ![...s.keys()].some((n) => n.startsWith('Mesh_'))), 30_000);
    const rrMode = await measure(a, b, vm.tap, 101);

    const result = {
      benchmark: 'bgp-propagation',
      description: 'VM route added in one host kernel (proto boot, dev tap) → installed by BIRD in another host kernel (proto bird), via percale bgp; netlink event to netlink event, ms',
      machine: machineInfo(),
      bird: (await sh('bird', ['--version']).catch(() => '')).trim() || (await sh('sh', ['-c', 'bird --version 2>&1'])).trim(),
      routes: ROUTES,
      hosts: '3 compute hosts + 1 route reflector, one fabric bridge',
      mesh,
      routeReflector: rrMode,
    };
    console.log('mode             clock from       n   add p50   add p99   withdraw p50   withdraw p99   (ms)');
    for (const [name, r] of [['full mesh', mesh], ['route reflector', rrMode]] as const) {
      for (const from of ['fromSourceEvent', 'fromCommand'] as const) {
        const a = r.add[from];
        const w = r.withdraw[from];
        console.log(`${name.padEnd(16)} ${from.padEnd(16)} ${String(a.n).padStart(3)}  ${String(a.p50).padStart(7)}  ${String(a.p99).padStart(8)}  ${String(w.p50).padStart(13)}  ${String(w.p99).padStart(13)}`);
      }
    }
    await writeFile(join(import.meta.dirname, 'results', 'bgp-propagation.json'), `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await lab.destroy();
    await store?.close().catch(() => undefined);
    await etcd?.stop().catch(() => undefined);
  }
}

await main();
