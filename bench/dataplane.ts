/**
 * nftables dataplane benchmark, inside a private network namespace: initial programming of an
 * OpenStack compute host (2,000 local endpoints in 1–3 security groups each, remote-group IP sets
 * with a few thousand members) through the real `Dataplane` (render, read-back, one transaction)
 * against loading the same rendered ruleset with a raw `nft -f`; then the latency of one endpoint
 * add, one endpoint remove, and one IP set member change (median and p99).
 * Run as root: `node bench/dataplane.ts`; writes bench/results/dataplane.json with Calico's
 * `benchmark_data_nft_dataplane` field names (scale_*, wall_ns_per_op, cpu_ns_per_op).
 * @module
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { Dataplane } from '../packages/agent/src/dataplane/dataplane.ts';
import type { DataplaneMessage, EndpointID, LocalEndpoint, PolicyID, Rule } from '../packages/agent/src/messages.ts';
import { inNetns, spawnExec, type Exec } from '../packages/agent/src/shims/exec.ts';
import { machineInfo } from './_machine.ts';
import { prng } from './_prng.ts';

const ENDPOINTS = 2000;
const SECURITY_GROUPS = 200;
const REMOTE_ENDPOINTS = 4000;
const INITIAL_RUNS = 5;
const ENDPOINT_OPS = 60;
const MEMBER_OPS = 100;

if (process.getuid?.() !== 0) {
  console.error('bench/dataplane.ts needs root (network namespaces, nft).');
  process.exit(1);
}

const random = prng(20261121);
const hex = (n: number) => Array.from({ length: n }, () => Math.floor(random() * 16).toString(16)).join('');
const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;

function rule(partial: Partial<Rule>): Rule {
  return {
    action: 'allow', srcNets: [], notSrcNets: [], dstNets: [], notDstNets: [], srcPorts: [], notSrcPorts: [], dstPorts: [], notDstPorts: [],
    srcIPSets: [], notSrcIPSets: [], dstIPSets: [], notDstIPSets: [], srcNamedPortIPSets: [], notSrcNamedPortIPSets: [], dstNamedPortIPSets: [], notDstNamedPortIPSets: [],
    ...partial,
  };
}

// ---- population -----------------------------------------------------------------------------

const REGION = 'openstack-region-one';
const groups = Array.from({ length: SECURITY_GROUPS }, () => {
  const id = uuid();
  return { id, setId: `s:${randomBytes(27).toString('base64url').slice(0, 36)}`, policy: { kind: 'NetworkPolicy', namespace: REGION, name: `ossg.default.${id}` } as PolicyID };
});
const pickGroups = () => {
  const n = 1 + Math.floor(random() * 3);
  return [...new Set(Array.from({ length: n }, () => groups[Math.floor(random() * groups.length)]!))].sort((a, b) => a.policy.name.localeCompare(b.policy.name));
};

/** A security group as networking-calico writes it: a few ingress allows, one of them from another group; default egress. */
function sgRules(i: number): { inbound: Rule[]; outbound: Rule[] } {
  const ports = [22, 80, 443, 3306, 5432, 6379, 8080, 9090];
  const remote = groups[(i * 7 + 3) % groups.length]!;
  return {
    inbound: [
      rule({ ipVersion: 4, protocol: 6, dstPorts: [{ first: ports[i % ports.length]!, last: ports[i % ports.length]! }], srcNets: ['0.0.0.0/0'] }),
      rule({ ipVersion: 4, protocol: 6, dstPorts: [{ first: 1024 + i, last: 2048 + i }], srcIPSets: [remote.setId] }),
      rule({ ipVersion: 4, srcIPSets: [groups[i]!.setId] }),
      rule({ ipVersion: 6, srcIPSets: [groups[i]!.setId] }),
      rule({ ipVersion: 4, protocol: 1 }),
    ],
    outbound: [rule({ ipVersion: 4 }), rule({ ipVersion: 6 })],
  };
}

interface Port { id: EndpointID; endpoint: LocalEndpoint; groups: typeof groups }

let ipCounter = 10;
function nextIp(): string {
  const n = ipCounter++;
  return `10.65.${n >> 8}.${n & 255}`;
}

function makePort(i: number): Port {
  const sgs = pickGroups();
  const ip = nextIp();
  const v6 = i % 4 === 0 ? [`fd00:65::${(ipCounter).toString(16)}/128`] : [];
  const port = uuid();
  return {
    id: { namespace: REGION, name: `compute--1-openstack-${port}` },
    groups: sgs,
    endpoint: {
      interfaceName: `tap${port.slice(0, 11)}`, orchestrator: 'openstack', workload: `${REGION}/${uuid()}`, endpoint: port,
      ipv4Nets: [`${ip}/32`], ipv6Nets: v6, ipv4NAT: i % 10 === 0 ? [{ externalIP: `172.24.${(i >> 8) & 255}.${i & 255}`, internalIP: ip }] : [], ipv6NAT: [],
      profileIds: [], allowSpoofedSourcePrefixes: [],
      tiers: [{ name: 'default', defaultAction: 'Deny', ingressPolicies: sgs.map((g) => g.policy), egressPolicies: sgs.map((g) => g.policy) }],
    },
  };
}

const ports = Array.from({ length: ENDPOINTS }, (_, i) => makePort(i));
const members = new Map<string, string[]>(groups.map((g) => [g.setId, []]));
for (const p of ports) for (const g of p.groups) members.get(g.setId)!.push(...p.endpoint.ipv4Nets, ...p.endpoint.ipv6Nets);
for (let i = 0; i < REMOTE_ENDPOINTS; i++) members.get(groups[Math.floor(random() * groups.length)]!.setId)!.push(`10.66.${i >> 8}.${i & 255}/32`);
const totalMembers = [...members.values()].reduce((n, m) => n + m.length, 0);

function initialMessages(): DataplaneMessage[] {
  return [
    ...groups.map((g): DataplaneMessage => ({ type: 'ipset-update', id: g.setId, setType: 'net', members: members.get(g.setId)! })),
    ...groups.map((g, i): DataplaneMessage => ({ type: 'policy-update', id: g.policy, policy: { tier: 'default', untracked: false, preDNAT: false, applyOnForward: false, ...sgRules(i) } })),
    ...ports.map((p): DataplaneMessage => ({ type: 'endpoint-update', id: p.id, endpoint: p.endpoint })),
    { type: 'ippool-update', id: 'pool', pool: { cidr: '10.65.0.0/16', natOutgoing: true, disabled: false, ipipMode: 'Never', vxlanMode: 'Never', disableBGPExport: false } },
    { type: 'in-sync' },
  ];
}

// ---- measurement ------------------------------------------------------------------------------

const NS = `percale-bench-${randomBytes(3).toString('hex')}`;
const netns = inNetns(spawnExec, NS);
/** The last transaction the driver wrote, to replay it with a raw `nft -f` (the floor per op). */
let lastTransaction = '';
const exec: Exec = {
  run(argv, options) {
    if (argv.includes('-f')) lastTransaction = options?.input ?? '';
    return netns.run(argv, options);
  },
  streamLines: (argv, handlers) => netns.streamLines(argv, handlers),
};
const deleteTable = () => {
  try {
    execFileSync('ip', ['netns', 'exec', NS, 'nft', 'delete', 'table', 'inet', 'percale'], { stdio: 'ignore' });
  } catch {
    // not there
  }
};

/** CPU time of this process and of its reaped children (nft), in ns. */
function cpuNs(): number {
  const own = process.cpuUsage();
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[13]) + Number(fields[14]); // cutime, cstime (fields 16, 17)
  const hz = 100;
  return (own.user + own.system) * 1000 + (ticks / hz) * 1e9;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!;
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

interface Row {
  benchmark: string;
  scale_ipsets: number;
  scale_set_members: number;
  scale_chains: number;
  scale_rules: number;
  ops: number;
  median_ms: number;
  p99_ms: number;
  wall_ns_per_op: number;
  cpu_ns_per_op: number;
  commands_per_op?: number;
  note?: string;
}

const rows: Row[] = [];
let scale = { scale_ipsets: 0, scale_set_members: totalMembers, scale_chains: 0, scale_rules: 0 };

async function main(): Promise<void> {
  execFileSync('ip', ['netns', 'add', NS]);
  const messages = initialMessages();

  // Initial programming: driver vs raw nft -f of the same ruleset, alternating, INITIAL_RUNS each.
  const driverMs: number[] = [];
  const driverCpu: number[] = [];
  const rawMs: number[] = [];
  const rawCpu: number[] = [];
  let ruleset = '';
  let dp: Dataplane | undefined;
  let commands = 0;
  for (let run = 0; run < INITIAL_RUNS; run++) {
    deleteTable();
    dp?.close();
    const cpu0 = cpuNs();
    const t0 = performance.now();
    dp = new Dataplane({}, { exec });
    for (const m of messages) dp.onMessage(m);
    const r = await dp.apply();
    driverMs.push(performance.now() - t0);
    driverCpu.push(cpuNs() - cpu0);
    commands = r.commands;
    if (!r.wrote || r.errors.length > 0) throw new Error(`initial apply failed: ${r.errors.join('; ')}`);
    // Its generation monitor would otherwise print the raw load below.
    dp.close();

    ruleset ||= dp.renderRuleset();
    deleteTable();
    const cpu1 = cpuNs();
    const t1 = performance.now();
    execFileSync('ip', ['netns', 'exec', NS, 'nft', '-f', '-'], { input: ruleset, maxBuffer: 1 << 28 });
    rawMs.push(performance.now() - t1);
    console.log(`initial run ${run + 1}: driver ${Math.round(driverMs.at(-1)!)} ms, raw ${Math.round(rawMs.at(-1)!)} ms`);
    rawCpu.push(cpuNs() - cpu1);
  }
  const chains = (ruleset.match(/^\tchain /gm) ?? []).length;
  const sets = (ruleset.match(/^\t(set|map) /gm) ?? []).length;
  const rules = (ruleset.match(/comment "pc:/g) ?? []).length;
  scale = { scale_ipsets: sets, scale_set_members: totalMembers, scale_chains: chains, scale_rules: rules };
  rows.push({ benchmark: 'initial programming: Dataplane (render + read-back + one nft -f)', ...scale, ops: INITIAL_RUNS, median_ms: round(median(driverMs)), p99_ms: round(Math.max(...driverMs)),
    wall_ns_per_op: Math.round(median(driverMs) * 1e6), cpu_ns_per_op: Math.round(median(driverCpu)), commands_per_op: commands });
  rows.push({ benchmark: 'initial programming: raw nft -f of the rendered ruleset', ...scale, ops: INITIAL_RUNS, median_ms: round(median(rawMs)), p99_ms: round(Math.max(...rawMs)),
    wall_ns_per_op: Math.round(median(rawMs) * 1e6), cpu_ns_per_op: Math.round(median(rawCpu)) });

  // Steady state: the table is what the raw load wrote; a fresh Dataplane adopts it (restart).
  dp!.close();
  dp = new Dataplane({}, { exec });
  for (const m of messages) dp.onMessage(m);
  const t2 = performance.now();
  const restart = await dp.apply();
  const restartMs = performance.now() - t2;
  if (restart.wrote) throw new Error('restart with identical state wrote to the kernel');
  // Steady state as in production: let the generation monitor finish its start-up first.
  await new Promise((resolve) => setTimeout(resolve, 5000));
  rows.push({ benchmark: 'restart with unchanged state (read-back, no write)', ...scale, ops: 1, median_ms: round(restartMs), p99_ms: round(restartMs), wall_ns_per_op: Math.round(restartMs * 1e6), cpu_ns_per_op: 0, commands_per_op: 0 });

  const timeOps = async (name: string, n: number, op: (i: number) => DataplaneMessage[]) => {
    const wall: number[] = [];
    const cmds: number[] = [];
    const texts: string[] = [];
    const cpu0 = cpuNs();
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      for (const m of op(i)) dp!.onMessage(m);
      const r = await dp!.apply();
      wall.push(performance.now() - t);
      cmds.push(r.commands);
      texts.push(lastTransaction);
      if (!r.wrote) throw new Error(`${name}: nothing written`);
    }
    const cpu = (cpuNs() - cpu0) / n;
    rows.push({ benchmark: name, ...scale, ops: n, median_ms: round(median(wall), 2), p99_ms: round(pct(wall, 99), 2), wall_ns_per_op: Math.round(median(wall) * 1e6), cpu_ns_per_op: Math.round(cpu), commands_per_op: round(median(cmds), 0) });
    return texts;
  };
  /** Replays transactions with a raw `nft -f` (alternating do/undo pairs keep the state): nft's own cost. */
  const replay = (name: string, pairs: [string, string][], rounds: number) => {
    const wall: number[] = [];
    const cpu0 = cpuNs();
    for (let i = 0; i < rounds; i++) {
      for (const text of pairs[i % pairs.length]!) {
        const t = performance.now();
        execFileSync('ip', ['netns', 'exec', NS, 'nft', '-f', '-'], { input: text });
        wall.push(performance.now() - t);
      }
    }
    const cpu = (cpuNs() - cpu0) / wall.length;
    rows.push({ benchmark: name, ...scale, ops: wall.length, median_ms: round(median(wall), 2), p99_ms: round(pct(wall, 99), 2), wall_ns_per_op: Math.round(median(wall) * 1e6), cpu_ns_per_op: Math.round(cpu), note: 'raw nft -f of the same transaction text: the floor of the row above' });
  };

  // Endpoint add and remove, as a new VM port arrives and goes: its endpoint plus its IP in its groups' sets.
  const extra = Array.from({ length: ENDPOINT_OPS }, (_, i) => makePort(ENDPOINTS + i));
  const added: Port[] = [];
  const addTexts = await timeOps('endpoint add (endpoint + its IP in its SG sets)', ENDPOINT_OPS, (i) => {
    const p = extra[i]!;
    added.push(p);
    return [
      ...p.groups.map((g): DataplaneMessage => ({ type: 'ipset-delta', id: g.setId, added: p.endpoint.ipv4Nets, removed: [] })),
      { type: 'endpoint-update', id: p.id, endpoint: p.endpoint },
    ];
  });
  const removeTexts = await timeOps('endpoint remove', ENDPOINT_OPS, (i) => {
    const p = added[i]!;
    return [
      { type: 'endpoint-remove', id: p.id },
      ...p.groups.map((g): DataplaneMessage => ({ type: 'ipset-delta', id: g.setId, added: [], removed: p.endpoint.ipv4Nets })),
    ];
  });
  replay('raw nft -f of the same endpoint add + remove transactions', addTexts.map((a, i) => [a, removeTexts[i]!]), 30);

  // IP set member changes: a remote port joining and leaving the largest security group.
  const largest = [...members].sort((a, b) => b[1].length - a[1].length)[0]![0];
  const memberTexts = await timeOps(`IP set member add/remove (set of ${members.get(largest)!.length} members)`, MEMBER_OPS, (i) => {
    const ip = `10.67.${i >> 9}.${(i >> 1) & 255}/32`;
    return [{ type: 'ipset-delta', id: largest, added: i % 2 === 0 ? [ip] : [], removed: i % 2 === 1 ? [ip] : [] }];
  });
  const memberPairs: [string, string][] = [];
  for (let i = 0; i + 1 < memberTexts.length; i += 2) memberPairs.push([memberTexts[i]!, memberTexts[i + 1]!]);
  replay('raw nft -f of the same IP set member transactions', memberPairs, 50);

  // A full read-back (what a refresh costs when the generation monitor cannot rule out drift).
  const reads: number[] = [];
  for (let i = 0; i < 3; i++) {
    dp.resync();
    const t = performance.now();
    const r = await dp.apply();
    reads.push(performance.now() - t);
    if (r.wrote) throw new Error('a read-back of an unchanged table wrote');
  }
  rows.push({ benchmark: 'full read-back (refresh with drift suspected)', ...scale, ops: 3, median_ms: round(median(reads)), p99_ms: round(Math.max(...reads)), wall_ns_per_op: Math.round(median(reads) * 1e6), cpu_ns_per_op: 0 });
  dp.close();
}

try {
  await main();
} finally {
  try {
    execFileSync('ip', ['netns', 'del', NS]);
  } catch {
    // already gone
  }
}

const driver = rows[0]!;
const raw = rows[1]!;
const ratio = round(driver.median_ms / raw.median_ms, 2);
console.table(rows.map((r) => ({ benchmark: r.benchmark, ops: r.ops, 'median ms': r.median_ms, 'p99 ms': r.p99_ms, 'cpu ms/op': round(r.cpu_ns_per_op / 1e6, 1), commands: r.commands_per_op ?? '' })));
console.log(`Scale: ${ENDPOINTS} endpoints, ${SECURITY_GROUPS} security groups, ${scale.scale_chains} chains, ${scale.scale_rules} rules, ${scale.scale_ipsets} sets/maps, ${totalMembers} IP set members.`);
console.log(`Initial programming, driver / raw nft -f: ${ratio}x (target ≤ 1.2x). Single-change targets: ≤ 30 ms.`);
const byName = (prefix: string) => rows.find((r) => r.benchmark.startsWith(prefix))!;
const endpointDriver = (byName('endpoint add').median_ms + byName('endpoint remove').median_ms) / 2;
console.log(`Per-change overhead over nft itself (driver median − raw replay median): endpoint add/remove ${round(endpointDriver - byName('raw nft -f of the same endpoint').median_ms, 2)} ms, IP set member ${round(byName('IP set member').median_ms - byName('raw nft -f of the same IP set').median_ms, 2)} ms.`);

const out = {
  benchmark: 'dataplane',
  ...machineInfo(),
  nft: execFileSync('nft', ['--version'], { encoding: 'utf8' }).trim(),
  population: { endpoints: ENDPOINTS, security_groups: SECURITY_GROUPS, groups_per_endpoint: '1-3', remote_endpoints_in_sets: REMOTE_ENDPOINTS, ipv6_endpoints: '1 in 4', floating_ips: '1 in 10' },
  initial_ratio_driver_to_raw: ratio,
  note: 'cpu_ns_per_op counts this process and its reaped nft children (/proc/self/stat cutime+cstime, 10 ms ticks). Single-change rows time onMessage + apply (render, transaction, nft -f).',
  results: rows,
};
const file = path.join(import.meta.dirname, 'results', 'dataplane.json');
mkdirSync(path.dirname(file), { recursive: true });
writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
console.log(`Wrote ${path.relative(process.cwd(), file)}`);
