/**
 * `percale agent`: the per-host agent's composition root (Felix's `daemon.go`). It is the only
 * place that picks implementations and wires them:
 *
 *   felix.cfg + FELIX_* ─▶ config ─▶ EtcdStore ─▶ wait for ClusterInformation datastoreReady
 *        ─▶ FelixConfiguration/Node ─▶ final config ─▶ parts (calc graph, dataplane, host networking)
 *   Syncer ─events─▶ calc.onUpdate ─┐                    ┌─▶ dataplane.onMessage ─┐
 *          ─in-sync─▶ calc.onInSync ┴─ apply loop: flush ┴─▶ hostNet.onMessage ───┴─▶ apply()
 *   status reporter (heartbeat, endpoint status) ◀── host networking endpoint status
 *   health /liveness /readiness, Prometheus /metrics
 *
 * Configuration changes in the datastore restart the process with status 129 (as Felix does;
 * the resync on start-up is non-disruptive, spec §8). SIGTERM/SIGINT end it cleanly; any
 * unexpected error ends it with status 1 so the supervisor restarts it, failing closed.
 * @module
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { kindInfo, type Resource } from '@percale/api';
import {
  EtcdStore, isNotFound, Syncer, type KeyValueStore, type ResourceEvent, type Store, type SyncStatus,
} from '@percale/datastore';
import { createLogger, type Logger } from '@percale/daemon';
import {
  ConfigError, RESTART_FREE_PARAMS, changedParams, datastoreConfigSources, readLocalConfigSources, resolveConfig,
  type AgentConfig, type LocalConfigSources, type ResolvedConfig,
} from './config/index.ts';
import { CalcGraph } from './calc/index.ts';
import { Dataplane } from './dataplane/dataplane.ts';
import type { DataplaneOptions } from './dataplane/options.ts';
import { HostNetworking, kernelShims, type HostNetworkingConfig } from './drivers/routes/host-networking.ts';
import { TunnelAddressAllocator } from './node/tunnel-address-allocator.ts';
import { CALCULATION_GRAPH, DATAPLANE_MAIN_LOOP, FELIX_STARTUP, HealthAggregator, startHealthServer, type RunningServer } from './health/index.ts';
import { endpointKey, type DataplaneMessage, type EndpointID } from './messages.ts';
import { createAgentMetrics, RESYNC_STATE, startMetricsServer, type AgentMetrics } from './metrics/index.ts';
import { spawnExec } from './shims/exec.ts';
import { EndpointStatusReporter, ProcessStatusReporter, type EndpointStatus, type EndpointStatusID } from './status/index.ts';

/** Exit status asking the supervisor for a restart with new configuration (Felix's `configChangedRC`). */
export const CONFIG_CHANGED_EXIT_CODE = 129;

/** The kinds Felix's syncer watches that exist on an etcd datastore. */
export const AGENT_SYNCER_KINDS: readonly string[] = [
  'ClusterInformation', 'FelixConfiguration', 'GlobalNetworkPolicy', 'NetworkPolicy', 'StagedGlobalNetworkPolicy', 'StagedNetworkPolicy',
  'GlobalNetworkSet', 'NetworkSet', 'IPPool', 'Node', 'Profile', 'WorkloadEndpoint', 'Tier', 'HostEndpoint', 'BGPConfiguration', 'BGPPeer',
].filter((k) => kindInfo(k) !== undefined);

/** The calculation graph as the agent drives it: synchronous, no I/O. */
export interface CalcGraphPort {
  onUpdate(event: ResourceEvent): void;
  onInSync(): void;
  /** The messages produced since the last flush, in dependency order. */
  flush(): DataplaneMessage[];
}

/** The nftables dataplane: `onMessage` is cheap; `apply` does the kernel I/O and throws only when it gives up. */
export interface DataplanePort {
  onMessage(msg: DataplaneMessage): void;
  apply(): Promise<unknown>;
  stop?(): Promise<void>;
}

/** Routes, sysctls and the interface monitor. `ready` = calc in sync and interfaces scanned. */
export interface HostNetworkingPort {
  readonly ready: boolean;
  readonly routeCount?: number;
  start(): Promise<void>;
  stop(): Promise<void>;
  onMessage(msg: DataplaneMessage): void;
  apply(): Promise<unknown>;
}

/** What a parts factory receives. */
export interface PartsContext {
  config: AgentConfig;
  log: Logger;
  metrics: AgentMetrics;
  /** Ask for an apply soon (interface events, timers). */
  requestApply(): void;
  /** Report an endpoint's status (`undefined` once it is gone). */
  onEndpointStatus(id: EndpointID, status: EndpointStatus | undefined): void;
}

export interface AgentParts {
  calc: CalcGraphPort;
  dataplane: DataplanePort;
  hostNetworking: HostNetworkingPort;
}

/** Everything `runAgent` needs; `main()` builds the real ones. */
export interface AgentDeps {
  local: LocalConfigSources;
  /** The configuration from local sources only (before the datastore is read). */
  initial: ResolvedConfig;
  store: Store;
  kv: KeyValueStore;
  log: Logger;
  createParts(ctx: PartsContext): AgentParts | Promise<AgentParts>;
  /** Resolves when the agent should stop: 0 for a clean stop, 129 to restart. */
  stopSignal: Promise<number>;
  /** Test knobs (milliseconds). */
  timing?: Partial<AgentTiming>;
}

/** Felix's timers (spec §9.2), overridable by tests. */
export interface AgentTiming {
  datastoreReadyPollMs: number;
  /** Give up waiting for etcd after this many failed attempts (Felix: 60 client creations). */
  maxDatastoreAttempts: number;
  /** Leaky bucket of applies: capacity and refill period. */
  applyBurst: number;
  applyRefillMs: number;
  retryMs: number;
  healthTickMs: number;
  /** Pause before a config-change exit, against tight restart loops. */
  restartPauseMs: number;
  firstStatusReportMs: number;
}

const DEFAULT_TIMING: AgentTiming = {
  datastoreReadyPollMs: 1_000,
  maxDatastoreAttempts: 60,
  applyBurst: 10,
  // Felix refills every 100 ms because an iptables-restore costs hundreds of milliseconds. An
  // incremental nft transaction costs ~30 ms, and applies never overlap, so a faster refill only
  // removes queueing delay: under a steady stream of changes a 100 ms refill made every change
  // wait for the next token (bench/e2e.ts, label change → kernel: p50 100 ms before, 31 ms after).
  applyRefillMs: 20,
  retryMs: 10_000,
  healthTickMs: 10_000,
  restartPauseMs: 2_000,
  firstStatusReportMs: 10_000,
};

class StopAgent extends Error {
  readonly exitCode: number;
  constructor(exitCode: number, reason: string) {
    super(reason);
    this.exitCode = exitCode;
  }
}

/**
 * Runs the agent until it is told to stop or must restart; resolves to the exit status.
 * @throws on unexpected errors (the caller exits with status 1).
 */
export async function runAgent(deps: AgentDeps): Promise<number> {
  const t = { ...DEFAULT_TIMING, ...deps.timing };
  const { log, store, kv } = deps;
  let config = deps.initial.config;
  const hostname = config.FelixHostname;
  const cleanups: (() => Promise<void> | void)[] = [];
  let stopping = false;
  let fail: (err: unknown) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => {
    fail = reject;
  });
  failed.catch(() => undefined);
  const stop = deps.stopSignal.then((code) => {
    stopping = true;
    throw new StopAgent(code, 'signal');
  });
  stop.catch(() => undefined);
  /** Waits for `work`, unless the agent is told to stop or fails first. */
  const race = <T>(work: Promise<T>) => Promise.race([work, stop, failed]);

  // Health first: live, not ready, from the start (Felix starts it before the datastore).
  const health = new HealthAggregator();
  health.registerReporter(FELIX_STARTUP, { live: true, ready: true }, 0);
  health.report(FELIX_STARTUP, { live: true, ready: false, detail: 'waiting for the datastore' });
  // Every component is registered (not ready) before start-up reports ready, or readiness
  // would say 200 in the window before the calculation graph and dataplane exist.
  health.registerReporter(CALCULATION_GRAPH, { live: true, ready: true }, 30_000);
  health.registerReporter(DATAPLANE_MAIN_LOOP, { live: true, ready: true }, Math.max(config.DataplaneWatchdogTimeout, 20) * 1000);
  let healthServer: RunningServer | undefined;
  if (config.HealthEnabled) {
    healthServer = await startHealthServer(health, config.HealthHost, config.HealthPort);
    cleanups.push(() => healthServer?.close());
    log.info('Health server listening', { host: config.HealthHost, port: healthServer.port });
  }

  try {
    // Wait for the Neutron driver (or calicoctl) to have initialised the datastore.
    const resolved = await race(loadDatastoreConfig(deps, t, () => stopping));
    config = resolved.config;
    health.setTimeoutOverrides(config.HealthTimeoutOverrides);
    for (const w of resolved.warnings) log.warn(w);
    log.info('Configuration loaded', { hostname, region: config.OpenstackRegion || '(none)', interfacePrefix: config.InterfacePrefix.join(','), etcd: deps.initial.etcd.endpoints.join(',') });
    health.report(FELIX_STARTUP, { live: true, ready: true });

    const metrics = createAgentMetrics({ hostname, processMetrics: config.PrometheusProcessMetricsEnabled, runtimeMetrics: config.PrometheusGoMetricsEnabled });
    if (config.PrometheusMetricsEnabled) {
      const server = await startMetricsServer(metrics.registry, {
        host: config.PrometheusMetricsHost, port: config.PrometheusMetricsPort, certFile: config.PrometheusMetricsCertFile, keyFile: config.PrometheusMetricsKeyFile,
        caFile: config.PrometheusMetricsCAFile, clientAuth: config.PrometheusMetricsClientAuth,
      });
      cleanups.push(() => server.close());
      log.info('Prometheus metrics server listening', { host: config.PrometheusMetricsHost || '(all)', port: server.port });
    }

    // Status reporting.
    const heartbeat = new ProcessStatusReporter({
      kv, hostname, region: config.OpenstackRegion, intervalSeconds: config.ReportingIntervalSecs, ttlSeconds: config.ReportingTTLSecs, firstReportDelayMs: t.firstStatusReportMs, log,
    });
    heartbeat.start();
    cleanups.push(() => heartbeat.stop());
    const endpointStatus = config.EndpointReportingEnabled
      ? new EndpointStatusReporter({ kv, hostname, region: config.OpenstackRegion, delayMs: config.EndpointReportingDelaySecs * 1000, log })
      : undefined;
    endpointStatus?.start();
    if (endpointStatus) cleanups.push(() => endpointStatus.stop());
    /** Endpoint IDs → their v1 identity, for status keys. */
    const statusIds = new Map<string, EndpointStatusID>();

    // The apply loop's trigger, defined before the parts so they can call it.
    let applyRequested = false;
    let wake: () => void = () => undefined;
    const requestApply = () => {
      applyRequested = true;
      wake();
    };

    const parts = await deps.createParts({
      config, log, metrics, requestApply,
      onEndpointStatus: (id, status) => {
        const sid = statusIds.get(endpointKey(id));
        if (sid) endpointStatus?.setStatus(sid, status);
        if (status === undefined) statusIds.delete(endpointKey(id));
      },
    });
    await parts.hostNetworking.start();
    cleanups.push(() => parts.hostNetworking.stop());
    if (parts.dataplane.stop) cleanups.push(() => parts.dataplane.stop!());

    // Calculation graph health: ready once the syncer is in sync; live while events flow.
    // The dataplane reporter is registered again with the watchdog timeout from the merged
    // (datastore) configuration; it is still not ready here.
    health.registerReporter(DATAPLANE_MAIN_LOOP, { live: true, ready: true }, Math.max(config.DataplaneWatchdogTimeout, 20) * 1000);
    let calcInSync = false;
    let syncStatus: SyncStatus = 'wait-for-datastore';
    const reportCalcHealth = () => health.report(CALCULATION_GRAPH, { live: true, ready: syncStatus === 'in-sync' });

    // Configuration resources, to notice runtime changes.
    const configResources = new Map<string, Resource>();
    const configKinds = new Set(['FelixConfiguration', 'ClusterInformation', 'Node']);
    let configCheckPending = false;
    const checkConfig = () => {
      configCheckPending = false;
      if (!calcInSync) return;
      const items = [...configResources.values()];
      const sources = datastoreConfigSources({
        hostname,
        felixConfigurations: items.filter((r) => r.kind === 'FelixConfiguration'),
        clusterInformation: items.find((r) => r.kind === 'ClusterInformation' && r.metadata.name === 'default'),
        node: items.find((r) => r.kind === 'Node' && r.metadata.name === hostname),
      });
      if (!sources.datastoreReady) {
        fail(new StopAgent(CONFIG_CHANGED_EXIT_CODE, 'the datastore is no longer ready (ClusterInformation datastoreReady is not true)'));
        return;
      }
      let next: ResolvedConfig;
      try {
        next = resolveConfig(deps.local, sources);
      } catch (err) {
        fail(err);
        return;
      }
      const changed = changedParams(config, next.config).filter((p) => !RESTART_FREE_PARAMS.has(p));
      if (changed.length > 0) fail(new StopAgent(CONFIG_CHANGED_EXIT_CODE, `configuration changed: ${changed.join(', ')}`));
      else health.setTimeoutOverrides(next.config.HealthTimeoutOverrides);
    };

    // This host's VXLAN tunnel address on its Node (calico-node's job in Calico).
    const tunnelAddress = new TunnelAddressAllocator({ store, hostname, log });
    cleanups.push(() => tunnelAddress.stop());

    const clusterCounts = new Map<string, number>();
    const syncer = new Syncer(
      store,
      {
        onUpdates: (events) => {
          for (const event of events) {
            const r = event.type === 'DELETED' ? event.previous : event.resource;
            // The syncer sends each resource's arrival and departure once (resyncs send only
            // differences), so counting ADDED and DELETED keeps the cluster totals exact.
            if (event.type !== 'MODIFIED') clusterCounts.set(r.kind, (clusterCounts.get(r.kind) ?? 0) + (event.type === 'ADDED' ? 1 : -1));
            // Of the Nodes only this host's carries configuration: other hosts' writes cost nothing here.
            if (configKinds.has(r.kind) && (r.kind !== 'Node' || r.metadata.name === hostname)) {
              const key = `${r.kind}/${r.metadata.name}`;
              if (event.type === 'DELETED') configResources.delete(key);
              else configResources.set(key, event.resource);
              configCheckPending = true;
            }
            tunnelAddress.onEvent(event);
            const done = metrics.calcGraphUpdateTime.startTimer();
            parts.calc.onUpdate(event);
            done();
            metrics.calcGraphUpdatesProcessed.inc(1, { type: event.type.toLowerCase() });
          }
          metrics.clusterNumHosts.set(clusterCounts.get('Node') ?? 0);
          metrics.clusterNumWorkloadEndpoints.set(clusterCounts.get('WorkloadEndpoint') ?? 0);
          metrics.clusterNumPolicies.set((clusterCounts.get('NetworkPolicy') ?? 0) + (clusterCounts.get('GlobalNetworkPolicy') ?? 0));
          metrics.clusterNumProfiles.set(clusterCounts.get('Profile') ?? 0);
          if (configCheckPending && calcInSync) checkConfig();
          reportCalcHealth();
          requestApply();
        },
        onStatus: (status) => {
          syncStatus = status;
          metrics.resyncState.set(RESYNC_STATE[status]);
          log.info('Datastore sync status changed', { status });
          if (status === 'in-sync' && !calcInSync) {
            calcInSync = true;
            parts.calc.onInSync();
            tunnelAddress.onInSync();
            checkConfig();
            requestApply();
          }
          reportCalcHealth();
        },
        onError: (error, retryInMs) => {
          if (retryInMs === undefined) log.warn('Skipping an unreadable datastore entry', { error });
          else log.warn('Datastore watch failed; resyncing', { error, retryInMs });
        },
      },
      { kinds: AGENT_SYNCER_KINDS },
    );
    syncer.start();
    cleanups.push(() => syncer.stop());
    metrics.registry.onCollect(() => {
      const started = syncer.resyncsStarted - metrics.resyncsStarted.get();
      if (started > 0) metrics.resyncsStarted.inc(started);
    });
    reportCalcHealth();

    // The apply loop: leaky-bucket throttled, batching whatever arrived meanwhile.
    let tokens = t.applyBurst;
    const refill = setInterval(() => {
      if (tokens < t.applyBurst) tokens++;
      if (applyRequested) wake();
    }, t.applyRefillMs);
    cleanups.push(() => clearInterval(refill));
    const healthTick = setInterval(() => {
      reportCalcHealth();
      reportDataplaneHealth();
    }, t.healthTickMs);
    cleanups.push(() => clearInterval(healthTick));
    let doneFirstApply = false;
    const startedAt = performance.now();
    const reportDataplaneHealth = () => health.report(DATAPLANE_MAIN_LOOP, { live: true, ready: doneFirstApply && parts.hostNetworking.ready });
    reportDataplaneHealth();
    let retryTimer: NodeJS.Timeout | undefined;
    cleanups.push(() => clearTimeout(retryTimer));

    const loop = async () => {
      for (;;) {
        if (!applyRequested || tokens === 0) {
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
          wake = () => undefined;
          continue;
        }
        applyRequested = false;
        tokens--;
        const messages = parts.calc.flush();
        metrics.calcGraphOutputEvents.inc(messages.length);
        if (messages.length > 0) metrics.dataplaneMsgBatchSize.observe(messages.length);
        for (const msg of messages) {
          metrics.dataplaneMessages.inc(1, { type: msg.type });
          if (msg.type === 'endpoint-update') {
            statusIds.set(endpointKey(msg.id), {
              orchestrator: msg.endpoint.orchestrator,
              workload: msg.endpoint.workload.includes('/') ? msg.endpoint.workload : `${msg.id.namespace}/${msg.endpoint.workload}`,
              endpoint: msg.endpoint.endpoint,
            });
          }
          parts.dataplane.onMessage(msg);
          parts.hostNetworking.onMessage(msg);
        }
        metrics.activeLocalEndpoints.set(statusIds.size);
        // Spec §8: no kernel writes before calc in-sync and the first interface scan.
        if (!parts.hostNetworking.ready) {
          reportDataplaneHealth();
          continue;
        }
        const done = metrics.dataplaneApplyTime.startTimer();
        try {
          await parts.dataplane.apply();
          await parts.hostNetworking.apply();
        } catch (err) {
          metrics.dataplaneFailures.inc();
          throw err;
        }
        const seconds = done();
        if (!doneFirstApply) {
          doneFirstApply = true;
          metrics.dataplaneInitialResyncTime.set((performance.now() - startedAt) / 1000);
          endpointStatus?.markInSync();
          log.info('Dataplane in sync', { applySeconds: seconds.toFixed(3) });
        }
        if (parts.hostNetworking.routeCount !== undefined) metrics.routeTableNumRoutes.set(parts.hostNetworking.routeCount);
        reportDataplaneHealth();
        clearTimeout(retryTimer);
        retryTimer = setTimeout(requestApply, t.retryMs);
      }
    };
    await race(loop());
    return 0; // unreachable: the loop only ends by throwing
  } catch (err) {
    if (err instanceof StopAgent) {
      if (err.exitCode === CONFIG_CHANGED_EXIT_CODE) {
        log.warn(`Restarting: ${err.message}`);
        await new Promise((r) => setTimeout(r, t.restartPauseMs));
      } else {
        log.info('Stopping on signal');
      }
      return err.exitCode;
    }
    throw err;
  } finally {
    stopping = true;
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (err) {
        log.warn('Error while stopping', { error: err });
      }
    }
  }
}

/**
 * Felix's start-up steps 3–4: waits for `datastoreReady`, then reads the FelixConfigurations,
 * ClusterInformation and this host's Node, and resolves the final configuration.
 */
async function loadDatastoreConfig(deps: AgentDeps, t: AgentTiming, stopping: () => boolean): Promise<ResolvedConfig> {
  const { store, log } = deps;
  const hostname = deps.initial.config.FelixHostname;
  for (let attempt = 1; !stopping(); attempt++) {
    try {
      const info = await store.get({ kind: 'ClusterInformation', name: 'default' }).catch((err: unknown) => {
        if (isNotFound(err)) return undefined;
        throw err;
      });
      if ((info?.spec as { datastoreReady?: unknown } | undefined)?.datastoreReady !== true) {
        if (attempt === 1 || attempt % 30 === 0) log.info('Waiting for the datastore to be ready (ClusterInformation default datastoreReady)');
      } else {
        const [fcs, node] = await Promise.all([
          store.list({ kind: 'FelixConfiguration' }),
          store.get({ kind: 'Node', name: hostname }).catch((err: unknown) => {
            if (isNotFound(err)) return undefined;
            throw err;
          }),
        ]);
        const sources = datastoreConfigSources({ hostname, felixConfigurations: fcs.items, clusterInformation: info, node });
        return resolveConfig(deps.local, sources);
      }
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      log.warn('Cannot read configuration from the datastore; retrying', { error: err, attempt });
      if (attempt >= t.maxDatastoreAttempts) throw new Error(`Cannot reach the datastore after ${attempt} attempts: ${(err as Error).message}`, { cause: err });
    }
    await new Promise((r) => setTimeout(r, t.datastoreReadyPollMs));
  }
  throw new StopAgent(0, 'stopped while waiting for the datastore');
}

/** Felix's `OpenstackActive`: the OpenStack special cases (DHCP, DNS, metadata) are rendered. */
export function openstackActive(c: AgentConfig): boolean {
  return (
    c.ClusterType.toLowerCase().includes('openstack') ||
    (c.MetadataAddr !== '' && c.MetadataAddr !== '127.0.0.1') ||
    (c.MetadataPort !== 0 && c.MetadataPort !== 8775) ||
    c.InterfacePrefix.includes('tap')
  );
}

/**
 * The nftables dataplane's options from the agent configuration. MetadataAddr may be a host
 * name: it is resolved once, here, as the rules need an address.
 */
export async function dataplaneOptions(c: AgentConfig): Promise<Partial<DataplaneOptions>> {
  let metadataAddr: string | undefined;
  if (c.MetadataAddr !== '') {
    metadataAddr = isIP(c.MetadataAddr) === 4 ? c.MetadataAddr : (await lookup(c.MetadataAddr, { family: 4 })).address;
  }
  const range = /^(\d+)[:-](\d+)$/.exec(c.NATPortRange) ?? /^(\d+)$/.exec(c.NATPortRange);
  return {
    interfacePrefixes: c.InterfacePrefix,
    ipv6Support: c.Ipv6Support,
    openStackSpecialCases: openstackActive(c),
    metadataAddr,
    metadataPort: c.MetadataPort,
    defaultEndpointToHostAction: c.DefaultEndpointToHostAction.toLowerCase() as DataplaneOptions['defaultEndpointToHostAction'],
    markMask: c.NftablesMarkMask,
    filterAllowAction: c.NftablesFilterAllowAction.toLowerCase() as DataplaneOptions['filterAllowAction'],
    filterDenyAction: c.NftablesFilterDenyAction.toLowerCase() as DataplaneOptions['filterDenyAction'],
    disableConntrackInvalidCheck: c.DisableConntrackInvalidCheck,
    allowVXLANFromWorkloads: c.AllowVXLANPacketsFromWorkloads,
    vxlanPort: c.VXLANPort,
    vxlanEnabled: c.VXLANEnabled === '' ? undefined : c.VXLANEnabled === 'true',
    allowIPIPFromWorkloads: c.AllowIPIPPacketsFromWorkloads,
    workloadSourceSpoofing: c.WorkloadSourceSpoofing || 'Disabled',
    logPrefix: c.LogPrefix,
    logActionRateLimit: c.LogActionRateLimit || undefined,
    logActionRateLimitBurst: c.LogActionRateLimitBurst,
    natOutgoingAddress: c.NATOutgoingAddress || undefined,
    natPortRange: range ? [Number(range[1]), Number(range[2] ?? range[1])] : undefined,
    natOutgoingExclusions: c.NATOutgoingExclusions || 'IPPoolsOnly',
    natOutgoingInterfaceFilter: c.IptablesNATOutgoingInterfaceFilter || undefined,
    refreshIntervalMs: c.NftablesRefreshInterval * 1000,
  };
}

/** Host networking's configuration from the agent configuration. */
export function hostNetworkingConfig(c: AgentConfig): HostNetworkingConfig {
  return {
    interfacePrefixes: c.InterfacePrefix,
    interfaceExcludes: c.InterfaceExclude,
    ipv6: c.Ipv6Support,
    ipForwarding: c.IPForwarding === 'Enabled',
    deviceRouteProtocol: c.DeviceRouteProtocol,
    ...(c.DeviceRouteSourceAddress && { deviceRouteSourceAddress: c.DeviceRouteSourceAddress }),
    ...(c.DeviceRouteSourceAddressIPv6 && { deviceRouteSourceAddressIPv6: c.DeviceRouteSourceAddressIPv6 }),
    removeExternalRoutes: c.RemoveExternalRoutes,
    ipv4NormalRoutePriority: c.IPv4NormalRoutePriority,
    ipv6NormalRoutePriority: c.IPv6NormalRoutePriority,
    routeRefreshIntervalMs: c.RouteRefreshInterval * 1000,
    interfaceRefreshIntervalMs: c.InterfaceRefreshInterval * 1000,
    workloadSourceSpoofing: c.WorkloadSourceSpoofing || 'Disabled',
    vxlan: {
      hostname: c.FelixHostname,
      ...(c.VXLANEnabled !== '' && { enabled: c.VXLANEnabled === 'true' }),
      vni: c.VXLANVNI,
      port: c.VXLANPort,
      mtu: c.VXLANMTU,
    },
  };
}

/**
 * Combines what host networking (interface up, routes) and the dataplane (chains programmed)
 * say about each endpoint into the status reported to the datastore: `up` only when both are
 * good, nothing once host networking has forgotten the endpoint.
 */
class EndpointStatusCombiner {
  readonly #host = new Map<string, { id: EndpointID; status: 'up' | 'down' }>();
  readonly #programmed = new Map<string, boolean>();
  readonly #reported = new Map<string, 'up' | 'down'>();
  readonly #report: PartsContext['onEndpointStatus'];
  constructor(report: PartsContext['onEndpointStatus']) {
    this.#report = report;
  }
  onHost(id: EndpointID, status: 'up' | 'down' | undefined): void {
    const key = endpointKey(id);
    if (status === undefined) this.#host.delete(key);
    else this.#host.set(key, { id, status });
    this.#emit(key, id);
  }
  onDataplane(id: EndpointID, state: string): void {
    const key = endpointKey(id);
    if (state === 'removed') this.#programmed.delete(key);
    else this.#programmed.set(key, state === 'programmed');
    this.#emit(key, id);
  }
  #emit(key: string, id: EndpointID): void {
    const host = this.#host.get(key);
    if (!host) {
      // Only retract what was reported: the dataplane may speak before host networking does.
      if (this.#reported.delete(key)) this.#report(id, undefined);
      return;
    }
    const status = host.status === 'up' && this.#programmed.get(key) === true ? 'up' : 'down';
    if (this.#reported.get(key) === status) return;
    this.#reported.set(key, status);
    this.#report(id, status);
  }
}

/** The calculation graph, with its counters published at each flush. */
function createCalcGraph(ctx: PartsContext): CalcGraphPort {
  const graph = new CalcGraph({ hostname: ctx.config.FelixHostname, workloadSourceSpoofing: ctx.config.WorkloadSourceSpoofing || 'Disabled' });
  return {
    onUpdate: (event) => graph.onUpdate(event),
    onInSync: () => graph.onInSync(),
    flush: () => {
      const messages = graph.flush();
      ctx.metrics.activeLocalPolicies.set(graph.stats.activePolicies);
      return messages;
    },
  };
}

/** Creates the real calculation graph, nftables dataplane and host networking. */
async function createRealParts(ctx: PartsContext): Promise<AgentParts> {
  const { config: c, log, metrics } = ctx;
  const calc = createCalcGraph(ctx);
  const statuses = new EndpointStatusCombiner(ctx.onEndpointStatus);
  const dp = new Dataplane(await dataplaneOptions(c), { exec: spawnExec, log, onForeignChange: ctx.requestApply });
  let refreshTimer: NodeJS.Timeout | undefined;
  const dataplane: DataplanePort = {
    onMessage: (msg) => dp.onMessage(msg),
    async apply() {
      const r = await dp.apply();
      if (!r.programmed) return r;
      if (r.read) metrics.nftListCalls.inc();
      if (r.wrote) metrics.nftCalls.inc();
      if (r.errors.length > 0) {
        metrics.nftErrors.inc(r.errors.length);
        for (const e of r.errors) log.warn('nftables apply had a failed attempt', { error: e });
      }
      for (const e of r.endpoints) statuses.onDataplane(e.id, e.status);
      clearTimeout(refreshTimer);
      if (Number.isFinite(r.refreshDueInMs)) refreshTimer = setTimeout(ctx.requestApply, Math.max(0, r.refreshDueInMs)).unref();
      return r;
    },
    async stop() {
      clearTimeout(refreshTimer);
      dp.close();
    },
  };
  const hostNetworking = new HostNetworking(hostNetworkingConfig(c), {
    ...kernelShims(),
    log,
    onApplyNeeded: ctx.requestApply,
    onEndpointStatus: (id, status) => statuses.onHost(id, status),
    onRouteResync: (seconds) => metrics.routeTableResyncTime.observe(seconds),
  });
  return { calc, dataplane, hostNetworking };
}

const USAGE = `Usage: percale agent [--config-file <path>]

Runs the per-host agent (Felix-compatible configuration, nftables dataplane).

Options:
  -c, --config-file <path>  felix.cfg to read (default /etc/calico/felix.cfg; an absent file is fine)
  -h, --help                show this help
`;

/** Parses `percale agent` arguments. */
export function parseAgentArgs(argv: readonly string[]): { configFile?: string; help: boolean } {
  const out: { configFile?: string; help: boolean } = { help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-h' || a === '--help') out.help = true;
    else if (a === '-c' || a === '--config-file') {
      const v = argv[++i];
      if (v === undefined) throw new TypeError(`${a} needs a path`);
      out.configFile = v;
    } else if (a.startsWith('--config-file=')) out.configFile = a.slice('--config-file='.length);
    else throw new TypeError(`unknown argument "${a}"`);
  }
  return out;
}

/** The `percale agent` entry point; resolves to the exit status. */
export async function main(argv: readonly string[], createParts: AgentDeps['createParts'] = createRealParts): Promise<number> {
  let args: ReturnType<typeof parseAgentArgs>;
  try {
    args = parseAgentArgs(argv);
  } catch (err) {
    process.stderr.write(`percale agent: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const local = await readLocalConfigSources(args.configFile === undefined ? {} : { configFile: args.configFile });
  let initial: ResolvedConfig;
  try {
    initial = resolveConfig(local);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`percale agent: ${err.message}\n`);
    return 1;
  }
  const c = initial.config;
  const log = createLogger({ screenSeverity: c.LogSeverityScreen, fileSeverity: c.LogSeverityFile, filePath: c.LogFilePath });
  log.info('Percale agent starting', { pid: process.pid, configFile: `${local.configFile.path}${local.configFile.found ? '' : ' (absent)'}`, hostname: c.FelixHostname });
  const etcd = initial.etcd;
  const store = new EtcdStore({ endpoints: etcd.endpoints, ...(etcd.tls && { tls: etcd.tls }), ...(etcd.username !== undefined && { username: etcd.username, password: etcd.password! }) });
  let settle: (code: number) => void = () => undefined;
  const stopSignal = new Promise<number>((resolve) => {
    settle = resolve;
  });
  const onSignal = (signal: NodeJS.Signals) => {
    log.info('Received signal', { signal });
    settle(signal === 'SIGHUP' ? CONFIG_CHANGED_EXIT_CODE : 0);
  };
  process.on('SIGTERM', onSignal).on('SIGINT', onSignal).on('SIGHUP', onSignal);
  try {
    return await runAgent({ local, initial, store, kv: store.keyValues(), log, createParts, stopSignal });
  } catch (err) {
    if (err instanceof ConfigError) {
      log.error(err.message);
      return 1;
    }
    log.error('Agent failed; exiting so that the supervisor restarts it', { error: err, stack: (err as Error).stack ?? '' });
    return 1;
  } finally {
    process.off('SIGTERM', onSignal).off('SIGINT', onSignal).off('SIGHUP', onSignal);
    await store.close().catch(() => undefined);
  }
}

if (import.meta.main) {
  // A bug anywhere ends the process: the supervisor restarts it and the resync is safe (spec §8).
  const die = (err: unknown) => {
    process.stderr.write(`percale agent: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  };
  process.on('uncaughtException', die).on('unhandledRejection', die);
  main(process.argv.slice(2)).then((code) => process.exit(code), die);
}
