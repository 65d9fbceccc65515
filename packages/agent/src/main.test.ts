/**
 * The composition root over MemoryStore with fake parts: start-up waits for datastoreReady,
 * the datastore's configuration is merged, events reach the calc graph, nothing is applied
 * before in-sync, status and health are reported, configuration changes restart (129),
 * signals stop cleanly, and a failing apply ends the agent.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { Resource } from '@percale/api';
import { freePort, MemoryKeyValueStore, MemoryStore, type ResourceEvent } from '@percale/datastore';
import { SILENT_LOGGER } from '@percale/daemon';
import { readLocalConfigSources, resolveConfig, type AgentConfig } from './config/index.ts';
import { resolveDataplaneOptions } from './dataplane/options.ts';
import { CONFIG_CHANGED_EXIT_CODE, dataplaneOptions, hostNetworkingConfig, openstackActive, parseAgentArgs, runAgent, type AgentParts, type PartsContext } from './main.ts';
import type { DataplaneMessage } from './messages.ts';

const clusterInfo = (ready: boolean): Resource => ({
  apiVersion: 'projectcalico.org/v3', kind: 'ClusterInformation', metadata: { name: 'default' },
  spec: { clusterGUID: 'g1', clusterType: 'openstack', calicoVersion: 'v3.30.0', datastoreReady: ready },
});
const felixDefault = (spec: Record<string, unknown>): Resource => ({ apiVersion: 'projectcalico.org/v3', kind: 'FelixConfiguration', metadata: { name: 'default' }, spec });
const wep = (name: string, node = 'compute-1'): Resource => ({
  apiVersion: 'projectcalico.org/v3', kind: 'WorkloadEndpoint', metadata: { namespace: 'openstack-region-r1', name },
  spec: { node, orchestrator: 'openstack', workload: 'vm-1', endpoint: name, interfaceName: `tap${name.slice(0, 11)}`, ipNetworks: ['10.65.0.2/32'] },
});

/** Fake parts that record what the agent does with them. */
class Fakes {
  events: ResourceEvent[] = [];
  inSyncCalls = 0;
  pending: DataplaneMessage[] = [];
  dataplaneMessages: DataplaneMessage[] = [];
  dataplaneApplies = 0;
  appliesBeforeReady = 0;
  hostReady = false;
  failApply = false;
  ctx: PartsContext | undefined;
  config: AgentConfig | undefined;
  stopped = false;

  create = (ctx: PartsContext): AgentParts => {
    this.ctx = ctx;
    this.config = ctx.config;
    return {
      calc: {
        onUpdate: (e) => {
          this.events.push(e);
          if (e.type !== 'DELETED' && e.resource.kind === 'WorkloadEndpoint' && (e.resource.spec as { node?: string }).node === ctx.config.FelixHostname) {
            const spec = e.resource.spec as { orchestrator: string; workload: string; endpoint: string; interfaceName: string };
            this.pending.push({
              type: 'endpoint-update', id: { namespace: e.resource.metadata.namespace!, name: e.resource.metadata.name! },
              endpoint: { interfaceName: spec.interfaceName, orchestrator: spec.orchestrator, workload: spec.workload, endpoint: spec.endpoint, ipv4Nets: [], ipv6Nets: [], ipv4NAT: [], ipv6NAT: [], profileIds: [], tiers: [], allowSpoofedSourcePrefixes: [] },
            });
          }
        },
        onInSync: () => {
          this.inSyncCalls++;
          this.pending.push({ type: 'in-sync' });
        },
        flush: () => this.pending.splice(0),
      },
      dataplane: {
        onMessage: (m) => this.dataplaneMessages.push(m),
        apply: async () => {
          if (!this.hostReady) this.appliesBeforeReady++;
          if (this.failApply) throw new Error('nft gave up after 10 attempts');
          this.dataplaneApplies++;
        },
      },
      hostNetworking: {
        get ready() {
          return fakes.hostReady;
        },
        routeCount: 1,
        start: async () => undefined,
        stop: async () => {
          this.stopped = true;
        },
        onMessage: (m) => {
          if (m.type === 'in-sync') this.hostReady = true;
          if (m.type === 'endpoint-update') ctx.onEndpointStatus(m.id, 'up');
        },
        apply: async () => undefined,
      },
    };
  };
}
let fakes: Fakes;

async function until(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await delay(5);
  }
}

async function setup(env: Record<string, string> = {}, partsGate?: Promise<void>) {
  fakes = new Fakes();
  const createParts = partsGate ? async (ctx: PartsContext) => (await partsGate, fakes.create(ctx)) : fakes.create;
  const store = new MemoryStore();
  const kv = new MemoryKeyValueStore();
  const local = await readLocalConfigSources({ configFile: '/nonexistent/felix.cfg', env, hostname: 'compute-1' });
  const initial = resolveConfig(local);
  let stop: (code: number) => void = () => undefined;
  const stopSignal = new Promise<number>((r) => {
    stop = r;
  });
  const run = runAgent({
    local, initial, store, kv, log: SILENT_LOGGER, createParts, stopSignal,
    timing: { datastoreReadyPollMs: 10, applyRefillMs: 5, retryMs: 50, restartPauseMs: 0, firstStatusReportMs: 0 },
  });
  return { store, kv, run, stop };
}

describe('runAgent()', () => {
  test('runAgent() waits for datastoreReady, merges datastore config, syncs, applies after in-sync and reports status', async () => {
    const healthPort = await freePort();
    const { store, kv, run, stop } = await setup({ FELIX_HEALTHENABLED: 'true', FELIX_HEALTHHOST: '127.0.0.1', FELIX_HEALTHPORT: String(healthPort), FELIX_OPENSTACKREGION: 'r1' });
    await until('health server', async () => (await fetch(`http://127.0.0.1:${healthPort}/liveness`).then((r) => r.status).catch(() => 0)) === 200);
    assert.equal((await fetch(`http://127.0.0.1:${healthPort}/readiness`)).status, 503);
    await store.create(clusterInfo(false));
    await delay(30);
    assert.equal(fakes.ctx, undefined, 'nothing starts before datastoreReady');

    await store.create(felixDefault({ interfacePrefix: 'tap', endpointReportingEnabled: true, endpointReportingDelay: '10ms', reportingInterval: '30s' }));
    await store.create(wep('port1'));
    await store.create(wep('port2', 'compute-2'));
    const ci = await store.get({ kind: 'ClusterInformation', name: 'default' });
    await store.update({ ...ci, spec: { ...ci.spec, datastoreReady: true } });

    await until('first apply', () => fakes.dataplaneApplies > 0);
    assert.deepEqual(fakes.config?.InterfacePrefix, ['tap']);
    assert.equal(fakes.config?.OpenstackRegion, 'r1');
    assert.equal(fakes.inSyncCalls, 1);
    assert.equal(fakes.appliesBeforeReady, 0, 'no apply before calc in-sync and interface in-sync');
    assert.deepEqual(new Set(fakes.events.map((e) => (e.type === 'DELETED' ? e.previous : e.resource).kind)), new Set(['ClusterInformation', 'FelixConfiguration', 'WorkloadEndpoint']));

    await until('heartbeat', async () => (await kv.get('/calico/felix/v2/region-r1/host/compute-1/status')) !== undefined);
    await until('endpoint status', async () => (await kv.get('/calico/felix/v2/region-r1/host/compute-1/workload/openstack/openstack-region-r1%2fvm-1/endpoint/port1'))?.value === '{"status":"up"}');
    await until('ready', async () => (await fetch(`http://127.0.0.1:${healthPort}/readiness`).then((r) => r.status)) === 200);

    stop(0);
    assert.equal(await run, 0);
    assert.equal(fakes.stopped, true);
    await assert.rejects(fetch(`http://127.0.0.1:${healthPort}/liveness`), 'the health server is closed');
  });

  test('runAgent() is not ready while the calculation graph and dataplane are still being set up', async () => {
    const healthPort = await freePort();
    let openGate: () => void = () => undefined;
    const gate = new Promise<void>((r) => (openGate = r));
    const { store, run, stop } = await setup({ FELIX_HEALTHENABLED: 'true', FELIX_HEALTHHOST: '127.0.0.1', FELIX_HEALTHPORT: String(healthPort) }, gate);
    try {
      await store.create(clusterInfo(true));
      await until('health server', async () => (await fetch(`http://127.0.0.1:${healthPort}/liveness`).then((r) => r.status).catch(() => 0)) === 200);
      await delay(50); // start-up has read the datastore and is creating the parts
      assert.equal((await fetch(`http://127.0.0.1:${healthPort}/readiness`)).status, 503, 'not ready before the dataplane exists');
      openGate();
      await until('ready', async () => (await fetch(`http://127.0.0.1:${healthPort}/readiness`).then((r) => r.status)) === 200);
      assert.ok(fakes.dataplaneApplies > 0, 'ready only after a dataplane apply');
    } finally {
      openGate();
      stop(0);
      assert.equal(await run, 0);
    }
  });

  test('runAgent() publishes cluster totals from the datastore as Felix metrics', async () => {
    const metricsPort = await freePort();
    const { store, run, stop } = await setup({ FELIX_PROMETHEUSMETRICSENABLED: 'true', FELIX_PROMETHEUSMETRICSHOST: '127.0.0.1', FELIX_PROMETHEUSMETRICSPORT: String(metricsPort) });
    const gauge = async (name: string) => {
      const text = await fetch(`http://127.0.0.1:${metricsPort}/metrics`).then((r) => r.text()).catch(() => '');
      return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
    };
    try {
      await store.create(clusterInfo(true));
      await store.create(wep('port1'));
      await store.create(wep('port2', 'compute-2'));
      await until('two endpoints counted', async () => (await gauge('felix_cluster_num_workload_endpoints')) === 2);
      await store.delete({ kind: 'WorkloadEndpoint', namespace: 'openstack-region-r1', name: 'port2' });
      await until('one endpoint counted', async () => (await gauge('felix_cluster_num_workload_endpoints')) === 1);
      assert.equal(await gauge('felix_cluster_num_policies'), 0);
    } finally {
      stop(0);
      assert.equal(await run, 0);
    }
  });

  test('runAgent() restarts with status 129 when a datastore parameter changes', async () => {
    const { store, run } = await setup();
    await store.create(clusterInfo(true));
    await store.create(felixDefault({ interfacePrefix: 'tap' }));
    await until('in sync', () => fakes.inSyncCalls === 1);
    const fc = await store.get({ kind: 'FelixConfiguration', name: 'default' });
    await store.update({ ...fc, spec: { interfacePrefix: 'tap', metadataPort: 8776 } });
    assert.equal(await run, CONFIG_CHANGED_EXIT_CODE);
  });

  test('runAgent() carries on when only ClusterGUID changes', async () => {
    const { store, run, stop } = await setup();
    await store.create(clusterInfo(true));
    await until('in sync', () => fakes.inSyncCalls === 1);
    const ci = await store.get({ kind: 'ClusterInformation', name: 'default' });
    await store.update({ ...ci, spec: { ...ci.spec, clusterGUID: 'g2' } });
    await delay(50);
    stop(0);
    assert.equal(await run, 0);
  });

  test('runAgent() restarts when the datastore stops being ready', async () => {
    const { store, run } = await setup();
    await store.create(clusterInfo(true));
    await until('in sync', () => fakes.inSyncCalls === 1);
    const ci = await store.get({ kind: 'ClusterInformation', name: 'default' });
    await store.update({ ...ci, spec: { ...ci.spec, datastoreReady: false } });
    assert.equal(await run, CONFIG_CHANGED_EXIT_CODE);
  });

  test('runAgent() fails on an invalid value in the datastore, naming it', async () => {
    const { store, run } = await setup();
    await store.create(felixDefault({ openstackRegion: 'Region_One' }));
    await store.create(clusterInfo(true));
    await assert.rejects(run, /OpenstackRegion "Region_One" \(from datastore \(global\)\): must be a valid DNS label/);
  });

  test('runAgent() ends with the error when the dataplane gives up (fail closed)', async () => {
    const { store, run } = await setup();
    await store.create(clusterInfo(true));
    await until('first apply', () => fakes.dataplaneApplies > 0);
    fakes.failApply = true;
    await store.create(wep('port3'));
    await assert.rejects(run, /nft gave up/);
    assert.equal(fakes.stopped, true, 'parts are stopped on the way out');
  });

  test('runAgent() stops cleanly while still waiting for the datastore', async () => {
    const { run, stop } = await setup();
    await delay(20);
    stop(0);
    assert.equal(await run, 0);
  });
});

test('parseAgentArgs() reads --config-file and -c and refuses unknown arguments', () => {
  assert.deepEqual(parseAgentArgs(['--config-file', '/etc/calico/felix.cfg']), { help: false, configFile: '/etc/calico/felix.cfg' });
  assert.deepEqual(parseAgentArgs(['-c', 'x.cfg']), { help: false, configFile: 'x.cfg' });
  assert.deepEqual(parseAgentArgs(['--config-file=y.cfg']), { help: false, configFile: 'y.cfg' });
  assert.throws(() => parseAgentArgs(['--bogus']), /unknown argument "--bogus"/);
  assert.throws(() => parseAgentArgs(['-c']), /needs a path/);
});

describe('configuration of the parts', () => {
  const configFrom = async (env: Record<string, string>) => resolveConfig(await readLocalConfigSources({ configFile: '/nonexistent/felix.cfg', env, hostname: 'compute-1' })).config;

  test('openstackActive() follows Felix: cluster type, metadata settings or a tap prefix', async () => {
    assert.equal(openstackActive(await configFrom({})), false);
    assert.equal(openstackActive(await configFrom({ FELIX_INTERFACEPREFIX: 'cali,tap' })), true);
    assert.equal(openstackActive(await configFrom({ FELIX_CLUSTERTYPE: 'k8s,OpenStack' })), true);
    assert.equal(openstackActive(await configFrom({ FELIX_METADATAPORT: '8776' })), true);
    assert.equal(openstackActive(await configFrom({ FELIX_METADATAADDR: '10.0.0.9' })), true);
  });

  test('dataplaneOptions() maps Felix parameters onto valid nftables dataplane options', async () => {
    const c = await configFrom({
      FELIX_INTERFACEPREFIX: 'tap', FELIX_METADATAADDR: 'localhost', FELIX_DEFAULTENDPOINTTOHOSTACTION: 'Accept', FELIX_NFTABLESFILTERDENYACTION: 'reject',
      FELIX_NATPORTRANGE: '32768:65000', FELIX_NFTABLESREFRESHINTERVAL: '60', FELIX_LOGACTIONRATELIMIT: '10/second',
    });
    const o = resolveDataplaneOptions(await dataplaneOptions(c));
    assert.deepEqual(o.interfacePrefixes, ['tap']);
    assert.equal(o.metadataAddr, '127.0.0.1', 'host names are resolved');
    assert.equal(o.defaultEndpointToHostAction, 'accept');
    assert.equal(o.filterDenyAction, 'reject');
    assert.deepEqual(o.natPortRange, [32768, 65000]);
    assert.equal(o.refreshIntervalMs, 60_000);
    assert.equal(o.logActionRateLimit, '10/second');
    assert.equal(o.openStackSpecialCases, true);
    assert.equal(resolveDataplaneOptions(await dataplaneOptions(await configFrom({ FELIX_METADATAADDR: 'none' }))).metadataAddr, undefined);
  });

  test('hostNetworkingConfig() maps Felix parameters, intervals in milliseconds', async () => {
    const h = hostNetworkingConfig(await configFrom({ FELIX_INTERFACEPREFIX: 'tap', FELIX_ROUTEREFRESHINTERVAL: '30', FELIX_IPFORWARDING: 'Disabled', FELIX_DEVICEROUTESOURCEADDRESS: '10.0.0.1' }));
    assert.deepEqual(h.interfacePrefixes, ['tap']);
    assert.equal(h.routeRefreshIntervalMs, 30_000);
    assert.equal(h.interfaceRefreshIntervalMs, 90_000);
    assert.equal(h.ipForwarding, false);
    assert.equal(h.deviceRouteSourceAddress, '10.0.0.1');
    assert.equal(h.deviceRouteSourceAddressIPv6, undefined);
  });

  test('hostNetworkingConfig() and dataplaneOptions() carry the VXLAN parameters; VXLANEnabled unset follows the pools', async () => {
    const auto = await configFrom({});
    assert.deepEqual(hostNetworkingConfig(auto).vxlan, { hostname: 'compute-1', vni: 4096, port: 4789, mtu: 0 });
    assert.equal((await dataplaneOptions(auto)).vxlanEnabled, undefined);
    const set = await configFrom({ FELIX_VXLANENABLED: 'false', FELIX_VXLANVNI: '77', FELIX_VXLANPORT: '8472', FELIX_VXLANMTU: '1400', FELIX_IPTABLESNATOUTGOINGINTERFACEFILTER: 'eth+' });
    assert.deepEqual(hostNetworkingConfig(set).vxlan, { hostname: 'compute-1', enabled: false, vni: 77, port: 8472, mtu: 1400 });
    const o = resolveDataplaneOptions(await dataplaneOptions(set));
    assert.deepEqual([o.vxlanEnabled, o.vxlanPort, o.natOutgoingInterfaceFilter], [false, 8472, 'eth+']);
  });
});
