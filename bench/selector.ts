/**
 * Selector throughput benchmark: parsing and matching the selectors networking-calico writes
 * (one `has(sg.projectcalico.org/openstack-<id>)` per security group, plus typical hand-written
 * shapes) against WorkloadEndpoint label maps as networking-calico builds them.
 * Run: `node bench/selector.ts` from the repository root; writes bench/results/selector.json.
 * @module
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { Bench } from 'tinybench';

import { parseSelector, type Labels, type Selector } from '@percale/api';
import { machineInfo } from './_machine.ts';
import { prng, prngUuid } from './_prng.ts';

// Each benchmark iteration processes a batch, because one match takes tens of nanoseconds:
// timing single calls would mostly measure the timer. Reported figures are per operation.
const ENDPOINTS = 1000;
const PARSE_BATCH = 100;
const SECURITY_GROUPS = 100;
const PROJECTS = 20;

const random = prng(20260821);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;

const uuid = () => prngUuid(random);

const SG_PREFIX = 'sg.projectcalico.org/openstack-';
const SG_NAME_PREFIX = 'sg-name.projectcalico.org/openstack-';
const securityGroups = Array.from({ length: SECURITY_GROUPS }, (_, i) => ({ id: uuid(), name: i === 0 ? 'default' : `sg-${i}` }));
const projects = Array.from({ length: PROJECTS }, (_, i) => ({ id: uuid().replaceAll('-', ''), name: `project-${i}`, parent: 'default' }));
const regions = ['openstack-region-one', 'openstack-region-two'];

/** Labels as networking-calico's endpoint_labels() writes them: 8 for one security group, 10 for two. */
function endpointLabels(): Labels {
  const labels: Record<string, string> = {};
  const groups = random() < 0.7 ? [pick(securityGroups)] : [pick(securityGroups), pick(securityGroups)];
  for (const sg of groups) {
    labels[SG_PREFIX + sg.id] = sg.name;
    labels[SG_NAME_PREFIX + sg.name] = sg.id;
  }
  const project = pick(projects);
  labels['projectcalico.org/namespace'] = pick(regions);
  labels['projectcalico.org/orchestrator'] = 'openstack';
  labels['projectcalico.org/openstack-project-id'] = project.id;
  labels['projectcalico.org/openstack-project-name'] = project.name;
  labels['projectcalico.org/openstack-project-parent-id'] = project.parent;
  labels['projectcalico.org/openstack-network-name'] = `net-${Math.floor(random() * 10)}`;
  // Round-trip through JSON: the agent gets label maps from etcd, so objects have JSON.parse's shapes.
  return JSON.parse(JSON.stringify(labels)) as Labels;
}
const endpoints = Array.from({ length: ENDPOINTS }, endpointLabels);

// One selector text per shape, each generator producing fresh UUIDs so parse batches do not repeat text.
const sgId = () => pick(securityGroups).id;
const shapes: { name: string; text: () => string }[] = [
  { name: 'has(sg)', text: () => `has(${SG_PREFIX}${sgId()})` },
  { name: "namespace == '…' && has(sg)", text: () => `projectcalico.org/namespace == 'openstack-region-one' && has(${SG_PREFIX}${sgId()})` },
  { name: 'project-id in {10 values}', text: () => `projectcalico.org/openstack-project-id in {${Array.from({ length: 10 }, () => `'${pick(projects).id}'`).join(', ')}}` },
  { name: 'has(sg) || … (5 terms)', text: () => Array.from({ length: 5 }, () => `has(${SG_PREFIX}${sgId()})`).join(' || ') },
  // The selector of Calico's own BenchmarkParse (libcalico-go/lib/selector/selector_benchmarks_test.go).
  { name: 'Calico BenchmarkParse selector', text: () => '! (a == "b"&&! c != "d") || !(a == "b" && !c != "d")' },
];

interface Row { task: string; kind: 'parse' | 'match'; batch: number; ops_per_s: number; mean_ns: number; p50_ns: number; p99_ns: number; rme_pct: number; samples: number; matched?: string }

const bench = new Bench({ name: 'selector', time: 1000, warmupTime: 200 });
const batches = new Map<string, number>();
const matchedOf = new Map<string, string>();
let sink = 0; // consumed below so the optimiser cannot drop the work

for (const shape of shapes) {
  const texts = Array.from({ length: PARSE_BATCH }, shape.text);
  const parseTask = `parse: ${shape.name}`;
  batches.set(parseTask, PARSE_BATCH);
  bench.add(parseTask, () => {
    for (const text of texts) sink += parseSelector(text).root.type.length;
  });

  const parseIdTask = `parse + toString + uniqueId: ${shape.name}`;
  batches.set(parseIdTask, PARSE_BATCH);
  bench.add(parseIdTask, () => {
    for (const text of texts) sink += parseSelector(text).uniqueId().length;
  });

  if (shape.name.startsWith('Calico')) continue;
  const selector: Selector = parseSelector(texts[0] as string);
  const matchTask = `match: ${shape.name}`;
  batches.set(matchTask, ENDPOINTS);
  matchedOf.set(matchTask, `${endpoints.filter(selector.matches).length}/${ENDPOINTS}`);
  bench.add(matchTask, () => {
    const { matches } = selector;
    for (let i = 0; i < endpoints.length; i++) if (matches(endpoints[i] as Labels)) sink++;
  });
}

await bench.run();

const rows: Row[] = [];
for (const task of bench.tasks) {
  const result = task.result;
  if (result.state !== 'completed') throw new Error(`Benchmark task "${task.name}" did not complete: ${result.state}`);
  const batch = batches.get(task.name) ?? 1;
  const perOpNs = (ms: number) => Math.round((ms * 1e6) / batch * 10) / 10;
  rows.push({
    task: task.name,
    kind: task.name.startsWith('match') ? 'match' : 'parse',
    batch,
    ops_per_s: Math.round(result.throughput.mean * batch),
    mean_ns: perOpNs(result.latency.mean),
    p50_ns: perOpNs(result.latency.p50),
    p99_ns: perOpNs(result.latency.p99),
    rme_pct: Math.round(result.latency.rme * 100) / 100,
    samples: result.latency.samplesCount,
    ...(matchedOf.has(task.name) ? { matched: matchedOf.get(task.name) } : {}),
  });
}

console.table(rows.map(({ task, ops_per_s, mean_ns, p50_ns, p99_ns, rme_pct, matched }) => ({
  task, 'ops/s': ops_per_s.toLocaleString('en-US'), 'mean ns': mean_ns, 'p50 ns': p50_ns, 'p99 ns': p99_ns, 'rme %': rme_pct, matched: matched ?? '',
})));
console.log(`Per-operation figures; each sample times a batch (${PARSE_BATCH} parses or ${ENDPOINTS} matches), so p50/p99 are of batch means. (sink ${sink > 0 ? 'ok' : 'empty'})`);

const out = {
  benchmark: 'selector',
  ...machineInfo(),
  population: { endpoints: ENDPOINTS, labels_per_endpoint: '8 (one SG) or 10 (two SGs)', security_groups: SECURITY_GROUPS, projects: PROJECTS },
  note: 'Per-operation figures from batched samples: mean/p50/p99 are of per-batch means divided by the batch size.',
  results: rows,
};
const file = path.join(import.meta.dirname, 'results', 'selector.json');
mkdirSync(path.dirname(file), { recursive: true });
writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
console.log(`Wrote ${path.relative(process.cwd(), file)}`);
