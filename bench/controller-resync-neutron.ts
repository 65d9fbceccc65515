/**
 * The Neutron controller's resync against a real Neutron (the lab's neutron-server, noauth,
 * SQLite) and a real etcd, in the scale-test shape of bench/controller-resync.ts: what the
 * Neutron API fetch adds to the in-memory numbers. Objects are bulk-created through REST
 * (`POST /v2.0/ports` with a `ports` list, 100 per request); sizes whose creation would not
 * fit in the time budget (BUDGET_S, default 120 s) are skipped and reported as such.
 * Prints cold and steady runs per size and saves bench/results/controller-resync-neutron.json.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SILENT_LOGGER } from '@percale/daemon';
import { EtcdStore, startLocalEtcd } from '@percale/datastore';
import { NeutronRestClient } from '../packages/controller/src/neutron/rest/neutron-rest-client.ts';
import { OsloRpcClient } from '../packages/controller/src/neutron/rpc/oslo-rpc-client.ts';
import { fullScope, type ResyncResult } from '../packages/controller/src/sync/resync-result.ts';
import { runResync } from '../packages/controller/src/sync/resync.ts';
import type { SyncEnv } from '../packages/controller/src/sync/sync-env.ts';
import { neutronLabUnavailable, startNeutronLab, type NeutronLab } from '../test/harness/neutron-lab.ts';
import { machineInfo } from './_machine.ts';
import { scaleShape } from './_neutron-scale.ts';

const SIZES = (process.env.SIZES ?? '100,1000,3000').split(',').map(Number);
const BUDGET_S = Number(process.env.BUDGET_S ?? 120);
const QOS = {
  maxIngressConnectionsPerPort: 0, maxEgressConnectionsPerPort: 0, ingressBurstBits: 0, egressBurstBits: 0,
  ingressMinburstBytes: 0, egressMinburstBytes: 0, ingressBurstPackets: 0, egressBurstPackets: 0,
};

/** Creates `items` in bulk requests of `chunk` (each request must finish within the lab's 30 s limit). */
async function bulk(lab: NeutronLab, collection: string, key: string, items: Array<Record<string, unknown>>, chunk = 100): Promise<Array<Record<string, unknown>>> {
  const out: Array<Record<string, unknown>> = [];
  for (let i = 0; i < items.length; i += chunk) {
    const res = await lab.api.request<Record<string, Array<Record<string, unknown>>>>('POST', `/${collection}`, { [key]: items.slice(i, i + chunk) });
    out.push(...res[key]!);
  }
  return out;
}

const unavailable = await neutronLabUnavailable();
if (unavailable) {
  console.error(`bench/controller-resync-neutron.ts: ${unavailable}`);
  process.exit(1);
}
const dir = `/dev/shm/percale-bench-rn-${process.pid}`;
await mkdir(dir, { recursive: true });
const etcd = await startLocalEtcd({ dataDir: join(dir, 'etcd') });
const store = new EtcdStore({ endpoints: [etcd.endpoint] });
const rows: Array<Record<string, unknown>> = [];
const skipped: Array<{ scale_ports: number; reason: string }> = [];
let portsPerSecond = 0;
try {
  for (const n of SIZES) {
    if (portsPerSecond > 0 && n / portsPerSecond > BUDGET_S) {
      skipped.push({ scale_ports: n, reason: `creating ${n} ports at ${portsPerSecond.toFixed(0)}/s would take ${(n / portsPerSecond).toFixed(0)} s (budget ${BUDGET_S} s)` });
      continue;
    }
    // A fresh Neutron per size, holding exactly the scale shape.
    const lab = await startNeutronLab({ etcd });
    // Every compute host has a live agent (as its percale agent would report), so Neutron binds
    // each port at the first attempt instead of retrying ten times.
    const rpc = new OsloRpcClient({ transportUrl: lab.rabbitUrl });
    const shape = scaleShape(n, lab.api.projectId);
    const report = () => Promise.all(shape.hosts.map((h) => rpc.reportState(h, false)));
    await Promise.all(shape.hosts.map((h) => rpc.reportState(h, true)));
    const heartbeat = setInterval(() => void report(), 20_000);
    try {
      const project = lab.api.projectId;
      const t0 = performance.now();
      const ids = new Map<string, string>();
      const made = async (collection: string, key: string, from: Array<{ id: string }>, body: (x: never) => Record<string, unknown>) => {
        const out = await bulk(lab, collection, key, from.map((x) => ({ project_id: project, ...body(x as never) })));
        from.forEach((x, i) => ids.set(x.id, String(out[i]!.id)));
      };
      await made('networks', 'networks', shape.networks, (x: { name: string }) => ({ name: x.name }));
      await made('subnets', 'subnets', shape.subnets, (x: { network_id: string; cidr: string }) => ({ network_id: ids.get(x.network_id), cidr: x.cidr, ip_version: 4 }));
      await made('security-groups', 'security_groups', shape.securityGroups, (x: { name: string }) => ({ name: x.name }));
      // Neutron creates rules in bulk only within one group.
      for (const g of shape.securityGroups) {
        await bulk(lab, 'security-group-rules', 'security_group_rules', g.security_group_rules.map((r) => ({
          project_id: project, security_group_id: ids.get(g.id), direction: r.direction, ethertype: r.ethertype, protocol: r.protocol,
          port_range_min: r.port_range_min, port_range_max: r.port_range_max, remote_ip_prefix: r.remote_ip_prefix,
          remote_group_id: r.remote_group_id && ids.get(r.remote_group_id),
        })));
      }
      await bulk(lab, 'ports', 'ports', shape.ports.map((p) => ({
        project_id: project, network_id: ids.get(p.network_id), device_owner: 'compute:nova', device_id: p.device_id,
        'binding:host_id': p['binding:host_id'], security_groups: p.security_groups.map((g) => ids.get(g)),
        fixed_ips: [{ subnet_id: ids.get(p.fixed_ips[0]!.subnet_id) }],
      })), 25);
      const createSeconds = (performance.now() - t0) / 1000;
      portsPerSecond = n / createSeconds;
      console.log(`# ${n} ports: Neutron objects created in ${createSeconds.toFixed(1)} s`);

      const neutron = new NeutronRestClient({ url: lab.neutronUrl, auth: { type: 'noauth' } });
      const region = `rn-${n}`;
      const env: SyncEnv = { store, kv: store.keyValues(), neutron, namespace: `openstack-region-${region}`, regionString: `region-${region}`, qos: QOS, log: SILENT_LOGGER };
      const t1 = performance.now();
      await Promise.all([neutron.listPorts(), neutron.listNetworks(), neutron.listSubnets(), neutron.listSecurityGroups(), neutron.listFloatingIps(), neutron.listQosPolicies()]);
      const fetchMs = performance.now() - t1;
      const runs: Array<[string, ResyncResult]> = [['cold', await runResync(env, fullScope())], ['steady', await runResync(env, fullScope())]];
      for (const [phase, r] of runs) {
        const e = r.phases.endpoints!;
        rows.push({
          scale_ports: n, phase, ok: r.ok, total_ms: r.total_ms, neutron_fetch_all_ms: Math.round(fetchMs),
          subnets_neutron_read_ms: r.phases.subnets?.neutron_read_ms, policy_neutron_read_ms: r.phases.policy?.neutron_read_ms,
          endpoints_neutron_read_ms: e.neutron_read_ms, endpoints_neutron_reread_ms: e.neutron_reread_ms,
          endpoints_etcd_read_ms: e.etcd_read_ms, endpoints_compare_ms: e.compare_ms, endpoints_create_ms: e.create_ms,
          endpoints_created: e.created, endpoints_correct: e.correct,
          total_without_neutron_ms: Math.round((r.total_ms - (r.phases.subnets?.neutron_read_ms ?? 0) - (r.phases.policy?.neutron_read_ms ?? 0) - e.neutron_read_ms
            - (r.phases.subnets?.neutron_reread_ms ?? 0) - (r.phases.policy?.neutron_reread_ms ?? 0) - e.neutron_reread_ms) * 10) / 10,
        });
      }
    } finally {
      clearInterval(heartbeat);
      await rpc.close();
      await lab.stop();
    }
  }
} finally {
  await store.close();
  await etcd.stop();
  await rm(dir, { recursive: true, force: true });
}
const cols = ['scale_ports', 'phase', 'total_ms', 'total_without_neutron_ms', 'neutron_fetch_all_ms', 'endpoints_neutron_read_ms', 'endpoints_neutron_reread_ms', 'endpoints_compare_ms', 'endpoints_create_ms'];
console.log(cols.join('\t'));
for (const r of rows) console.log(cols.map((c) => String(r[c])).join('\t'));
for (const s of skipped) console.log(`skipped ${s.scale_ports}: ${s.reason}`);
await mkdir(join(import.meta.dirname, 'results'), { recursive: true });
await writeFile(join(import.meta.dirname, 'results', 'controller-resync-neutron.json'), `${JSON.stringify({ machine: machineInfo(), neutron: 'lab neutron-server (noauth, SQLite, 1 API worker)', results: rows, skipped }, null, 2)}\n`);
