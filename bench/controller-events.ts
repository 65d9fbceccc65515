/**
 * Event latency of the Neutron controller on the real stack: Neutron's `port.create.end`
 * notification received from RabbitMQ → the port's WorkloadEndpoint committed in etcd (seen by
 * an etcd watch in the same process, one clock), over ≥100 port creates made through Neutron's
 * REST API one after another; also the operator's view (REST POST sent → endpoint in etcd).
 * The controller runs in-process with the production parts (REST reader, RabbitMQ source,
 * EtcdStore, leader election). Prints p50/p90/p99 and saves bench/results/controller-events.json.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SILENT_LOGGER } from '@percale/daemon';
import { EtcdStore, startLocalEtcd } from '@percale/datastore';
import { NeutronController } from '../packages/controller/src/app/neutron-controller.ts';
import { LeaderElector } from '../packages/controller/src/election/leader-elector.ts';
import { RabbitNotificationSource } from '../packages/controller/src/neutron/notifications/rabbit-notification-source.ts';
import { NeutronRestClient } from '../packages/controller/src/neutron/rest/neutron-rest-client.ts';
import { OsloRpcClient } from '../packages/controller/src/neutron/rpc/oslo-rpc-client.ts';
import type { NeutronNotification } from '../packages/controller/src/neutron/types.ts';
import type { SyncEnv } from '../packages/controller/src/sync/sync-env.ts';
import { neutronLabUnavailable, startNeutronLab, waitUntil } from '../test/harness/neutron-lab.ts';
import { machineInfo } from './_machine.ts';

const PORTS = Number(process.env.PORTS ?? 120);
const REGION = 'bench';
const NS = `openstack-region-${REGION}`;
const QOS = {
  maxIngressConnectionsPerPort: 0, maxEgressConnectionsPerPort: 0, ingressBurstBits: 0, egressBurstBits: 0,
  ingressMinburstBytes: 0, egressMinburstBytes: 0, ingressBurstPackets: 0, egressBurstPackets: 0,
};

function stats(samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return { n: s.length, p50_ms: +q(0.5).toFixed(1), p90_ms: +q(0.9).toFixed(1), p99_ms: +q(0.99).toFixed(1), max_ms: +s[s.length - 1]!.toFixed(1) };
}

const unavailable = await neutronLabUnavailable();
if (unavailable) {
  console.error(`bench/controller-events.ts: ${unavailable}`);
  process.exit(1);
}
const dir = `/dev/shm/percale-bench-events-${process.pid}`;
await mkdir(dir, { recursive: true });
const etcd = await startLocalEtcd({ dataDir: join(dir, 'etcd') });
const lab = await startNeutronLab({ etcd });
const store = new EtcdStore({ endpoints: [etcd.endpoint] });
const received = new Map<string, number>();
const committed = new Map<string, number>();
const posted = new Map<string, number>();
let controller: NeutronController | undefined;
try {
  const env: SyncEnv = {
    store, kv: store.keyValues(), neutron: new NeutronRestClient({ url: lab.neutronUrl, auth: { type: 'noauth' } }),
    namespace: NS, regionString: `region-${REGION}`, qos: QOS, log: SILENT_LOGGER,
  };
  controller = new NeutronController({
    env,
    elector: new LeaderElector({ kv: env.kv, regionString: env.regionString }),
    notifications: () => {
      const source = new RabbitNotificationSource({ transportUrl: lab.rabbitUrl, log: SILENT_LOGGER });
      return {
        start: (onEvent: (n: NeutronNotification) => void) => source.start((n) => {
          if (n.eventType === 'port.create.end') {
            const id = (n.payload.port as { id?: string } | undefined)?.id;
            if (id) received.set(id, n.receivedAt);
          }
          onEvent(n);
        }),
        close: () => source.close(),
      };
    },
    startupResync: 'always',
    log: SILENT_LOGGER,
  });
  const watcher = store.watch({ kind: 'WorkloadEndpoint', namespace: NS }, {
    onEvent: (e) => {
      if (e.type === 'ADDED') committed.set(String((e.resource.spec as { endpoint?: string }).endpoint), performance.now());
    },
  });
  controller.start();
  await waitUntil('leadership', () => controller!.leading, 30_000);
  await controller.idle();
  // Live agents on the ten compute hosts, so Neutron binds each port at the first attempt.
  const rpc = new OsloRpcClient({ transportUrl: lab.rabbitUrl });
  await Promise.all(Array.from({ length: 10 }, (_, i) => rpc.reportState(`compute-${i}`, true)));
  const heartbeat = setInterval(() => void Promise.all(Array.from({ length: 10 }, (_, i) => rpc.reportState(`compute-${i}`, false))), 20_000);
  const network = await lab.api.createNetwork({ name: 'bench' });
  const subnet = await lab.api.createSubnet(network.id, '10.70.0.0/16');
  const sg = await lab.api.createSecurityGroup('bench');
  // Warm-up: the first syncs pay for connections and JIT.
  for (let i = 0; i < 5; i++) await lab.api.createPort(network.id, { host: `compute-${i % 10}`, security_groups: [sg.id] });
  received.clear();
  committed.clear();
  const fastBefore = controller.fastPathSyncs;
  const ids: string[] = [];
  for (let i = 0; i < PORTS; i++) {
    const t = performance.now();
    const port = await lab.api.createPort(network.id, { host: `compute-${i % 10}`, security_groups: [sg.id], fixed_ips: [{ subnet_id: subnet.id }] });
    posted.set(port.id, t);
    ids.push(port.id);
    await waitUntil(`endpoint of port ${i}`, () => committed.has(port.id), 30_000, 2);
  }
  const fastPathSyncs = controller.fastPathSyncs - fastBefore;
  await watcher.stop();
  clearInterval(heartbeat);
  await rpc.close();
  const notifyToEtcd = ids.filter((id) => received.has(id)).map((id) => committed.get(id)! - received.get(id)!);
  const postToEtcd = ids.map((id) => committed.get(id)! - posted.get(id)!);
  const result = {
    machine: machineInfo(),
    ports: PORTS,
    notification_to_etcd: stats(notifyToEtcd),
    rest_post_to_etcd: stats(postToEtcd),
    // Port syncs (create and the updates that follow) applied from the payload alone.
    fast_path_syncs: fastPathSyncs,
    note: 'one port created at a time through POST /v2.0/ports; notification_to_etcd = AMQP delivery → WorkloadEndpoint put seen by an etcd watch. port.create.end payloads are applied directly (fast path: no Neutron re-read) when the network, subnets, groups and floating IPs are cached; the rest re-read the port from Neutron REST',
  };
  console.log(`notification → etcd: p50 ${result.notification_to_etcd.p50_ms} ms, p90 ${result.notification_to_etcd.p90_ms} ms, p99 ${result.notification_to_etcd.p99_ms} ms (n=${result.notification_to_etcd.n})`);
  console.log(`port syncs from the payload alone: ${fastPathSyncs}`);
  console.log(`REST POST → etcd:     p50 ${result.rest_post_to_etcd.p50_ms} ms, p90 ${result.rest_post_to_etcd.p90_ms} ms, p99 ${result.rest_post_to_etcd.p99_ms} ms`);
  await mkdir(join(import.meta.dirname, 'results'), { recursive: true });
  await writeFile(join(import.meta.dirname, 'results', 'controller-events.json'), `${JSON.stringify(result, null, 2)}\n`);
} finally {
  await controller?.stop();
  await store.close();
  await lab.stop();
  await etcd.stop();
  await rm(dir, { recursive: true, force: true });
}
