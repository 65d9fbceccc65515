/**
 * BIRD configuration render time: one host's bird.conf rendered from the datastore state of a
 * 1,000-host full mesh (IPv4, and dual-stack), a route reflector with 1,000 clients, and a host
 * with 1,000 BGPPeer resources; plus how long BIRD's own parser takes to check each result.
 * Run: `node bench/bgp-render.ts` from the repository root; writes bench/results/bgp-render.json.
 * @module
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

import type { BgpInputs } from '../packages/bgp/src/render/index.ts';
import { renderBird } from '../packages/bgp/src/render/index.ts';
import { bgpConfig, bgpFilter, inputs, node, peer, pool } from '../packages/bgp/src/render/testing/bgp-fixtures.ts';
import { machineInfo } from './_machine.ts';

const HOSTS = 1000;
const PEERS = 1000;
const WARMUP = 3;
const RUNS = 15;
const BIRD_RUNS = 3;

const v4 = (i: number) => `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}`;
const hosts = (dualStack: boolean, rrEvery = 0) => Array.from({ length: HOSTS }, (_, i) => node(
  `compute-${i}`,
  {
    ipv4Address: `${v4(i)}/16`,
    ...(dualStack ? { ipv6Address: `fd00::${(i + 1).toString(16)}/64` } : {}),
    ...(rrEvery && i % rrEvery === 0 ? { routeReflectorClusterID: '244.0.0.1' } : {}),
  },
  { rack: `r${i % 20}`, ...(rrEvery && i % rrEvery === 0 ? { 'route-reflector': 'true' } : {}) },
));
const pools = [
  pool('private', '10.65.0.0/16', { natOutgoing: true }), pool('public', '203.0.113.0/24'),
  pool('vxlan', '10.70.0.0/16', { vxlanMode: 'Always' }), pool('v6', 'fd00:65::/48'),
];

const scenarios: { case: string; inputs: BgpInputs }[] = [
  { case: `full mesh, ${HOSTS} hosts, IPv4`, inputs: inputs('compute-500', { nodes: hosts(false), pools }) },
  { case: `full mesh, ${HOSTS} hosts, dual-stack`, inputs: inputs('compute-500', { nodes: hosts(true), pools }) },
  {
    case: `route reflector with ${HOSTS - 2} clients (mesh off)`,
    inputs: inputs('compute-0', {
      nodes: hosts(false, 500),
      pools,
      configurations: [bgpConfig('default', { nodeToNodeMeshEnabled: false })],
      peers: [peer('to-rr', { nodeSelector: 'all()', peerSelector: "route-reflector == 'true'" })],
    }),
  },
  {
    case: `${PEERS} BGPPeer resources (global, eBGP, 20 BGPFilters), mesh off`,
    inputs: inputs('compute-5', {
      nodes: hosts(false).slice(0, 10),
      pools,
      configurations: [bgpConfig('default', { nodeToNodeMeshEnabled: false })],
      peers: Array.from({ length: PEERS }, (_, i) => peer(`router-${i}`, {
        peerIP: `192.0.${Math.floor(i / 250)}.${(i % 250) + 1}`,
        asNumber: 65000 + (i % 100),
        ...(i % 2 ? { filters: [`f-${i % 20}`] } : {}),
        ...(i % 3 === 0 ? { keepaliveTime: '10s', maxRestartTime: '2m' } : {}),
      })),
      filters: Array.from({ length: 20 }, (_, i) => bgpFilter(`f-${i}`, {
        exportV4: [{ action: 'Reject', matchOperator: 'In', cidr: '10.65.0.0/16' }],
        importV4: [{ action: 'Accept', matchOperator: 'In', cidr: `172.${16 + i}.0.0/16`, prefixLength: { max: 24 } }, { action: 'Reject', cidr: '0.0.0.0/0', matchOperator: 'In' }],
      })),
    }),
  },
];

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (x: number) => Math.round(x * 100) / 100;

let haveBird = true;
try {
  execFileSync('bird', ['--version'], { stdio: 'ignore' });
} catch {
  haveBird = false;
}
const work = mkdtempSync(path.join(os.tmpdir(), 'percale-bgp-render-'));
const machineAtStart = machineInfo();
const rows = [];
try {
  for (const s of scenarios) {
    let text = '';
    let sessions = 0;
    for (let i = 0; i < WARMUP; i++) renderBird(s.inputs);
    const runs: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      const out = renderBird(s.inputs);
      runs.push(performance.now() - t0);
      text = out.text;
      sessions = out.peerings.length;
    }
    const row: Record<string, unknown> = {
      case: s.case,
      median_ms: round(median(runs)),
      runs_ms: runs.map(round),
      bgp_sessions: sessions,
      config_bytes: Buffer.byteLength(text),
      config_lines: text.split('\n').length - 1,
    };
    if (haveBird) {
      const file = path.join(work, 'bird.conf');
      writeFileSync(file, text);
      const parse: number[] = [];
      for (let i = 0; i < BIRD_RUNS; i++) {
        const t0 = performance.now();
        execFileSync('bird', ['-p', '-c', file], { stdio: 'pipe' });
        parse.push(performance.now() - t0);
      }
      row.bird_parse_median_ms = round(median(parse));
    }
    rows.push(row);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const width = Math.max(...rows.map((r) => String(r.case).length));
process.stdout.write(`\n${'case'.padEnd(width)}  render ms  sessions   lines  bird -p ms\n`);
for (const r of rows) {
  process.stdout.write(`${String(r.case).padEnd(width)}  ${String(r.median_ms).padStart(9)}  ${String(r.bgp_sessions).padStart(8)}  ${String(r.config_lines).padStart(6)}  ${String(r.bird_parse_median_ms ?? '-').padStart(10)}\n`);
}

const results = {
  benchmark: 'bgp-render',
  machine: machineAtStart,
  load_average_1m_end: round(os.loadavg()[0] ?? 0),
  method: `renderBird() of one host, ${WARMUP} warm-up runs then the median of ${RUNS}; bird -p -c median of ${BIRD_RUNS} (BIRD 2, when installed)`,
  rows,
};
const out = path.join(import.meta.dirname, 'results', 'bgp-render.json');
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
process.stdout.write(`\nsaved bench/results/bgp-render.json\n`);
