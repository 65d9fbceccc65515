/**
 * Calculation graph benchmark on Neutron-shaped data: N workload endpoints spread over ~√N
 * hosts in two regions (100 of them on the measured host), P security-group NetworkPolicies as
 * networking-calico writes them (`ossg.default.<id>`, `has(sg.…)` selectors, rules from remote
 * groups, CIDRs and port ranges), each endpoint in 1–3 groups of its region. Measures the full
 * snapshot (all updates, in-sync, flush) and the heap it leaves after GC, a local endpoint's add
 * and remove, and a remote endpoint's label change (each followed by a flush).
 * Run: `node_modules/.bin/node --expose-gc bench/calc.ts` from the repository root (one child
 * process per size, so heap figures do not mix); writes bench/results/calc.json.
 * `--only N P` runs one size in this process and prints its JSON; with `CALC_PROFILE=<dir>` it
 * also writes CPU profiles of the snapshot and of the single-endpoint operations there.
 * @module
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import path from 'node:path';

import type { Resource } from '@percale/api';
import type { WatchEvent } from '@percale/datastore';
import { CalcGraph } from '@percale/agent/calc';
import { machineInfo } from './_machine.ts';
import { prng } from './_prng.ts';

const LOCAL_ENDPOINTS = 100;
const OPS = 300;
const WARMUP = 50;
const RUNS = 3;
const REGIONS = ['openstack-region-one', 'openstack-region-two'];
const SIZES: [number, number][] = [[3_000, 300], [3_000, 3_000], [30_000, 300], [30_000, 3_000], [100_000, 300], [100_000, 3_000]];


interface Group { id: string; name: string; region: string }

function population(n: number, p: number) {
  const random = prng(20261121 + n + p);
  const int = (k: number) => Math.floor(random() * k);
  const hex = (k: number) => Array.from({ length: k }, () => int(16).toString(16)).join('');
  const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
  const hosts = Array.from({ length: Math.max(2, Math.round(Math.sqrt(n))) }, (_, i) => `compute-${String(i).padStart(4, '0')}`);
  const localHost = hosts[0]!;
  const groups: Group[] = Array.from({ length: p }, (_, i) => ({ id: uuid(), name: i < 2 ? 'default' : `sg-${i}`, region: REGIONS[i % 2]! }));
  const groupsIn = REGIONS.map((r) => groups.filter((g) => g.region === r));
  const projects = Array.from({ length: 50 }, () => hex(32));
  const sgLabel = (g: Group) => `sg.projectcalico.org/openstack-${g.id}`;

  // networking-calico's policy for one security group: allow from its own group (v4 and v6),
  // SSH and web from anywhere, a port range from another group, ICMP; egress allows all.
  function policy(g: Group): Resource {
    const peers = groupsIn[REGIONS.indexOf(g.region)]!;
    const other = peers[int(peers.length)]!;
    return {
      apiVersion: 'projectcalico.org/v3',
      kind: 'NetworkPolicy',
      metadata: { name: `ossg.default.${g.id}`, namespace: g.region },
      spec: {
        selector: `has(${sgLabel(g)})`,
        ingress: [
          { action: 'Allow', ipVersion: 4, source: { selector: `has(${sgLabel(g)})` } },
          { action: 'Allow', ipVersion: 6, source: { selector: `has(${sgLabel(g)})` } },
          { action: 'Allow', ipVersion: 4, protocol: 'TCP', source: { nets: ['0.0.0.0/0'] }, destination: { ports: [22] } },
          { action: 'Allow', ipVersion: 4, protocol: 'TCP', source: { nets: [`10.${int(256)}.0.0/16`] }, destination: { ports: ['8000:8999'] } },
          { action: 'Allow', ipVersion: 4, protocol: 'TCP', source: { selector: `has(${sgLabel(other)})` }, destination: { ports: ['5000:5100'] } },
          { action: 'Allow', ipVersion: 4, protocol: 'ICMP' },
        ],
        egress: [{ action: 'Allow', ipVersion: 4 }, { action: 'Allow', ipVersion: 6 }],
      },
    };
  }

  let serial = 0;
  // A port as networking-calico's endpoint_spec/endpoint_labels write it.
  function endpoint(host: string, region: number, labelsFrom = groupsIn[region]!): Resource {
    const i = serial++;
    const port = uuid();
    const instance = uuid();
    const ns = REGIONS[region]!;
    const labels: Record<string, string> = {};
    const count = 1 + int(3);
    for (let k = 0; k < count; k++) {
      const g = labelsFrom[int(labelsFrom.length)]!;
      labels[sgLabel(g)] = g.name;
      labels[`sg-name.projectcalico.org/openstack-${g.name}`] = g.id;
    }
    const project = projects[int(projects.length)]!;
    Object.assign(labels, {
      'projectcalico.org/namespace': ns,
      'projectcalico.org/orchestrator': 'openstack',
      'projectcalico.org/openstack-project-id': project,
      'projectcalico.org/openstack-project-name': `project-${project.slice(0, 6)}`,
      'projectcalico.org/openstack-project-parent-id': 'default',
      'projectcalico.org/openstack-network-name': `net-${int(20)}`,
    });
    const ipNetworks = [`10.${64 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}/32`];
    if (i % 3 === 0) ipNetworks.push(`fd00:${(i >> 16).toString(16)}::${(i & 0xffff).toString(16)}/128`);
    const dashes = (s: string) => s.replaceAll('-', '--');
    return {
      apiVersion: 'projectcalico.org/v3',
      kind: 'WorkloadEndpoint',
      metadata: { name: `${dashes(host)}-openstack-${dashes(instance)}-${dashes(port)}`, namespace: ns, labels },
      spec: {
        orchestrator: 'openstack', workload: instance, node: host, endpoint: port,
        interfaceName: `tap${port.slice(0, 11)}`, mac: `fa:16:3e:${hex(2)}:${hex(2)}:${hex(2)}`, ipNetworks,
        ipv4Gateway: `10.${64 + (i >> 16)}.0.1`,
      },
    };
  }

  const policies = groups.map(policy);
  const endpoints: Resource[] = [];
  for (let i = 0; i < n; i++) {
    const host = i < LOCAL_ENDPOINTS ? localHost : hosts[1 + int(hosts.length - 1)]!;
    endpoints.push(endpoint(host, i < LOCAL_ENDPOINTS ? 0 : int(2)));
  }
  // etcd lists in key order: networkpolicies/<ns>/<name> before workloadendpoints/<ns>/<name>.
  const key = (r: Resource) => `${r.kind === 'NetworkPolicy' ? 'n' : 'w'}/${r.metadata.namespace}/${r.metadata.name}`;
  const snapshot = [...policies, ...endpoints].sort((a, b) => (key(a) < key(b) ? -1 : 1));
  // The datastore hands over JSON.parse output: objects with that shape and freshly allocated strings.
  const events: WatchEvent[] = snapshot.map((r) => ({ type: 'ADDED', resource: JSON.parse(JSON.stringify(r)) as Resource, revision: '1' }));
  // Extra ports for the latency runs, on this host and on others.
  const extraLocal = Array.from({ length: OPS + WARMUP }, () => endpoint(localHost, 0));
  const remote = endpoints.filter((r) => (r.spec as { node: string }).node !== localHost).slice(0, OPS + WARMUP);
  return { localHost, events, extraLocal, remote, groupsIn };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function stats(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 1000) / 1000;
  return { median_ms: r(percentile(sorted, 50)), p99_ms: r(percentile(sorted, 99)), max_ms: r(sorted[sorted.length - 1]!), ops: samples.length };
}

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g === undefined) throw new Error('Cannot measure heap: run with --expose-gc');
  for (let i = 0; i < 3; i++) g();
}

// Optional CPU profiling of one phase (CALC_PROFILE=<dir>), for `node --cpu-prof`-style analysis
// of the graph alone rather than of the population generator.
const profileDir = process.env.CALC_PROFILE;
const session = profileDir ? new Session() : undefined;
session?.connect();

async function profiled<T>(name: string, fn: () => T): Promise<T> {
  if (session === undefined) return fn();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  const result = fn();
  const { profile } = await session.post('Profiler.stop');
  writeFileSync(path.join(profileDir!, `calc-${name}.cpuprofile`), JSON.stringify(profile));
  return result;
}

async function runOne(n: number, p: number) {
  gc();
  const baseline = process.memoryUsage().heapUsed;
  const pop = population(n, p);
  const graph = new CalcGraph({ hostname: pop.localHost });
  const { out, snapshotMs, snapshotCpuMs } = await profiled('snapshot', () => {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    for (const e of pop.events) graph.onUpdate(e);
    graph.onInSync();
    const messages = graph.flush();
    const cpu = process.cpuUsage(cpu0);
    return { out: messages, snapshotMs: performance.now() - t0, snapshotCpuMs: (cpu.user + cpu.system) / 1000 };
  });
  const ipsetMembers = out.reduce((sum, m) => sum + (m.type === 'ipset-update' ? m.members.length : 0), 0);
  const counts = { ...graph.stats, ipsets: out.filter((m) => m.type === 'ipset-update').length, messages: out.length, ipsetMembers };

  // Heap held by the graph: drop the inputs and outputs first (label keys stay, now owned by the graph).
  pop.events = [];
  out.length = 0;
  gc();
  const heapMB = (process.memoryUsage().heapUsed - baseline) / 2 ** 20;

  // A port on this host comes and goes (it may bring policies and IP sets with it).
  const addRemove = (r: Resource, record: boolean, add: number[], remove: number[]) => {
    const resource = JSON.parse(JSON.stringify(r)) as Resource;
    const key = { kind: 'WorkloadEndpoint', namespace: resource.metadata.namespace!, name: resource.metadata.name! };
    let t = performance.now();
    graph.onUpdate({ type: 'ADDED', resource, revision: '2' });
    graph.flush();
    if (record) add.push(performance.now() - t);
    t = performance.now();
    graph.onUpdate({ type: 'DELETED', previous: resource, key, revision: '3' });
    graph.flush();
    if (record) remove.push(performance.now() - t);
  };
  // A remote port changes security group: one SG label swapped for another of its region.
  const random = prng(7);
  const relabel = (r: Resource, record: boolean, samples: number[]) => {
    const resource = JSON.parse(JSON.stringify(r)) as Resource;
    const labels = resource.metadata.labels!;
    delete labels[Object.keys(labels).find((k) => k.startsWith('sg.'))!];
    const groups = pop.groupsIn[REGIONS.indexOf(resource.metadata.namespace!)]!;
    const group = groups[Math.floor(random() * groups.length)]!;
    labels[`sg.projectcalico.org/openstack-${group.id}`] = group.name;
    const t = performance.now();
    graph.onUpdate({ type: 'MODIFIED', resource, revision: '4' });
    graph.flush();
    if (record) samples.push(performance.now() - t);
  };

  const add: number[] = [];
  const remove: number[] = [];
  const change: number[] = [];
  // Warm up first, so the figures are of optimised code rather than of the JIT at work.
  for (const r of pop.extraLocal.slice(0, WARMUP)) addRemove(r, false, add, remove);
  for (const r of pop.remote.slice(0, WARMUP)) relabel(r, false, change);
  await profiled('single-endpoint', () => {
    for (const r of pop.extraLocal.slice(WARMUP)) addRemove(r, true, add, remove);
    for (const r of pop.remote.slice(WARMUP)) relabel(r, true, change);
  });
  return {
    endpoints: n, policies: p, hosts: Math.max(2, Math.round(Math.sqrt(n))), local_endpoints: LOCAL_ENDPOINTS,
    snapshot_ms: Math.round(snapshotMs), snapshot_cpu_ms: Math.round(snapshotCpuMs), heap_mb: Math.round(heapMB * 10) / 10, ...counts,
    local_add: stats(add), local_remove: stats(remove), remote_label_change: stats(change),
  };
}

const args = process.argv.slice(2);
if (args[0] === '--only') {
  process.stdout.write(`${JSON.stringify(await runOne(Number(args[1]), Number(args[2])))}\n`);
} else {
  type Result = Awaited<ReturnType<typeof runOne>>;
  const results: (Result & { snapshot_runs_ms: number[] })[] = [];
  for (const [n, p] of SIZES) {
    // Each size runs RUNS times in fresh processes; the run with the median snapshot time is
    // reported (the machine may be shared, and one process's figures should not mix with another's).
    const runs: Result[] = [];
    for (let i = 0; i < RUNS; i++) {
      const r = spawnSync(process.execPath, ['--expose-gc', import.meta.filename, '--only', String(n), String(p)], { encoding: 'utf8', maxBuffer: 1 << 24 });
      if (r.status !== 0) {
        process.stderr.write(r.stderr);
        process.exit(1);
      }
      runs.push(JSON.parse(r.stdout) as Result);
    }
    runs.sort((a, b) => a.snapshot_ms - b.snapshot_ms);
    results.push({ ...runs[Math.floor(runs.length / 2)]!, snapshot_runs_ms: runs.map((r) => r.snapshot_ms) });
  }
  const rows = results.map((r) => ({
    endpoints: r.endpoints, policies: r.policies, 'active pol': r.activePolicies, ipsets: r.ipsets, members: r.ipsetMembers,
    'snapshot ms': r.snapshot_ms, 'cpu ms': r.snapshot_cpu_ms, 'heap MB': r.heap_mb,
    'add p50/p99 ms': `${r.local_add.median_ms}/${r.local_add.p99_ms}`,
    'remove p50/p99 ms': `${r.local_remove.median_ms}/${r.local_remove.p99_ms}`,
    'remote relabel p50/p99 ms': `${r.remote_label_change.median_ms}/${r.remote_label_change.p99_ms}`,
  }));
  console.table(rows);
  const out = {
    benchmark: 'calc',
    ...machineInfo(),
    targets: { snapshot_100k_ms: 2000, heap_100k_mb: 200, single_change_ms: 1, calico_100k: { snapshot_ms: 6900, heap_mb: 402 } },
    note: 'Each size runs 3 times, each in a fresh process; the run with the median snapshot time is reported (snapshot_runs_ms lists all three). snapshot_ms is wall-clock for all updates + in-sync + flush with a cold JIT; snapshot_cpu_ms is the process CPU time over it (GC threads included). heap_mb is heap used after GC with the graph alive, minus the heap before the population was built. Latencies include flush() and follow 50 unrecorded warm-up operations.',
    results,
  };
  const dir = path.join(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'calc.json'), `${JSON.stringify(out, null, 2)}\n`);
}
