/**
 * Host networking for VM taps (spec agent-dataplane §6, §8): the facade the agent's main loop
 * drives with endpoint messages and `apply()`. It combines the interface monitor (which taps
 * exist and are up), the per-interface sysctls and the route table, and reports per-endpoint
 * status. Nothing is written to the kernel before both the calculation graph and the interface
 * monitor are in sync, except the global forwarding sysctls at start.
 *
 *   DataplaneMessage ─▶ onMessage ─▶ routeTable.setRoutes, interfaces to configure
 *   InterfaceMonitor ─▶ interface up/down ─▶ routeTable.onInterfaceUpdate, configure on up
 *   apply(): sysctls of interfaces to configure ─▶ routeTable.apply() ─▶ endpoint statuses
 * @module
 */
import { endpointKey, type DataplaneMessage, type EndpointID, type LocalEndpoint } from '../../messages.ts';
import { ConntrackTool, type ConntrackShim } from '../../shims/conntrack.ts';
import { Iproute2, type KernelLink, type KernelRoute } from '../../shims/ip.ts';
import type { Exec } from '../../shims/exec.ts';
import { NetnsSysctl, ProcSysFiles, type Sysctls } from '../../shims/sysctl.ts';
import { realTimers, type Timers } from '../../shims/timers.ts';
import { InterfaceMonitor, type InterfaceSource } from '../interfaces/interface-monitor.ts';
import {
  configureInterfaces, globalSysctls, readDefaultRPFilter, type WorkloadSysctlOptions,
} from '../sysctl/workload-sysctls.ts';
import { VxlanKernelTools, type VxlanKernel } from '../vxlan/vxlan-kernel.ts';
import { VxlanManager, type VxlanConfig } from '../vxlan/vxlan-manager.ts';
import { SILENT_LOG, type DriverLog } from './driver-log.ts';
import { RouteTable, type RouteKernel, type RouteTarget } from './route-table.ts';

/** Configuration of host networking; names in comments are the Felix parameters. Defaults are Felix's. */
export interface HostNetworkingConfig {
  /** `InterfacePrefix`, e.g. `['tap']`. */
  interfacePrefixes: readonly string[];
  /** `InterfaceExclude`. */
  interfaceExcludes?: readonly (string | RegExp)[];
  /** `Ipv6Support`; default true. */
  ipv6?: boolean;
  /** `IPForwarding=Enabled`; default true. */
  ipForwarding?: boolean;
  /** `DeviceRouteProtocol`; default 3 (`boot`). */
  deviceRouteProtocol?: number;
  /** `DeviceRouteSourceAddress`. */
  deviceRouteSourceAddress?: string;
  /** `DeviceRouteSourceAddressIPv6`. */
  deviceRouteSourceAddressIPv6?: string;
  /** `RemoveExternalRoutes`; default true. */
  removeExternalRoutes?: boolean;
  /** `IPv4NormalRoutePriority`; default 1024. */
  ipv4NormalRoutePriority?: number;
  /** `IPv6NormalRoutePriority`; default 1024. */
  ipv6NormalRoutePriority?: number;
  /** `RouteRefreshInterval` in ms (0 disables); default 90 s, plus 0–10 % jitter. */
  routeRefreshIntervalMs?: number;
  /** `InterfaceRefreshInterval` in ms (0 disables); default 90 s. */
  interfaceRefreshIntervalMs?: number;
  /** `WorkloadSourceSpoofing`: with `Any`, endpoints with `allowSpoofedSourcePrefixes` get `rp_filter=0`. */
  workloadSourceSpoofing?: 'Disabled' | 'Any';
  /** `FloatingIPs=Enabled`: route floating IPs of non-OpenStack endpoints too (OpenStack ones always are). */
  floatingIPs?: boolean;
  /** Grace period for unexpected routes on new workload interfaces; default 10 s. */
  routeCleanupGracePeriodMs?: number;
  /** VXLAN (needs `deps.vxlan`); absent: no VXLAN device or tunnel routes are managed. */
  vxlan?: Omit<VxlanConfig, 'workloadPrefixes'>;
}

/** The kernel shims and callbacks host networking runs with. */
export interface HostNetworkingDeps {
  ip: RouteKernel & InterfaceSource;
  sysctls: Sysctls;
  /** Absent: conntrack entries of addresses that leave an interface are not cleared. */
  conntrack?: ConntrackShim;
  /** The VXLAN driver's kernel access (used when `config.vxlan` is set). */
  vxlan?: VxlanKernel;
  timers?: Timers;
  log?: DriverLog;
  /** Something changed that needs an `apply()` (interface events, refresh timers, in-sync). */
  onApplyNeeded?(): void;
  /** An endpoint's status changed; `undefined` once it is gone. Called at the end of `apply()`. */
  onEndpointStatus?(id: EndpointID, status: EndpointStatus | undefined): void;
  /** A full route read-back took this long (`felix_route_table_resync_seconds`). */
  onRouteResync?(seconds: number): void;
}

/** Per-endpoint status as reported to the datastore (spec §7.2). */
export type EndpointStatus = 'up' | 'down';

/** Outcome of one `apply()`. */
export interface HostNetworkingApplyResult {
  /** False while waiting for in-sync: nothing was written. */
  applied: boolean;
  /** Writes that failed and are retried by the next apply. */
  failures: number;
  /** Apply again after this many ms (deletions held back by the grace period). */
  rescheduleAfterMs: number | undefined;
}

/** The orchestrator ID of OpenStack endpoints, whose floating IPs are always routed. */
const ORCHESTRATOR_OPENSTACK = 'openstack';

interface EndpointEntry {
  id: EndpointID;
  endpoint: LocalEndpoint;
}

/**
 * Creates the real shims, optionally acting on a named network namespace instead of the agent's
 * own (tests; an agent that manages a host namespace from outside).
 */
export function kernelShims(options: { netns?: string; exec?: Exec } = {}): Pick<HostNetworkingDeps, 'ip' | 'sysctls' | 'conntrack' | 'vxlan'> {
  const { netns, exec } = options;
  return {
    ip: new Iproute2({ netns, exec }),
    vxlan: new VxlanKernelTools({ netns, exec }),
    sysctls: netns === undefined ? new ProcSysFiles() : new NetnsSysctl({ netns, exec }),
    conntrack: new ConntrackTool({ netns, exec }),
  };
}

/** Routes, neighbour entries and sysctls for the workload interfaces of one host. */
export class HostNetworking {
  readonly #config: HostNetworkingConfig;
  readonly #sysctls: Sysctls;
  readonly #timers: Timers;
  readonly #log: DriverLog;
  readonly #onApplyNeeded: () => void;
  readonly #onStatus: (id: EndpointID, status: EndpointStatus | undefined) => void;
  readonly #routes: RouteTable;
  readonly #monitor: InterfaceMonitor;
  readonly #vxlan: VxlanManager | undefined;

  readonly #endpoints = new Map<string, EndpointEntry>();
  /** Interface → keys of the endpoints naming it; the lowest key owns the interface. */
  readonly #ifaceClaims = new Map<string, Set<string>>();
  /** Interfaces whose sysctls must be (re)written. */
  readonly #toConfigure = new Set<string>();
  /** Interfaces configured, with the settings they got. */
  readonly #configured = new Map<string, string>();
  /** Interface names already warned about (not a workload prefix), against log spam. */
  readonly #warnedNames = new Set<string>();
  /** Interfaces last reported operationally up. */
  readonly #up = new Set<string>();
  readonly #statuses = new Map<string, { id: EndpointID; status: EndpointStatus }>();
  #defaultRPFilter = '1';
  #calcInSync = false;
  #started = false;
  #cancelRefresh: (() => void) | undefined;
  #applying: Promise<unknown> = Promise.resolve();

  constructor(config: HostNetworkingConfig, deps: HostNetworkingDeps) {
    this.#config = config;
    this.#sysctls = deps.sysctls;
    this.#timers = deps.timers ?? realTimers;
    this.#log = deps.log ?? SILENT_LOG;
    this.#onApplyNeeded = deps.onApplyNeeded ?? (() => {});
    this.#onStatus = deps.onEndpointStatus ?? (() => {});
    this.#vxlan = config.vxlan && deps.vxlan
      ? new VxlanManager({ ...config.vxlan, workloadPrefixes: config.interfacePrefixes }, { kernel: deps.vxlan, log: this.#log })
      : undefined;
    const vxlan = this.#vxlan;
    this.#routes = new RouteTable({
      ip: deps.ip,
      ...(vxlan ? { foreign: (r: KernelRoute) => vxlan.owns(r) } : {}),
      conntrack: deps.conntrack,
      workloadPrefixes: config.interfacePrefixes,
      deviceRouteProtocol: config.deviceRouteProtocol,
      removeExternalRoutes: config.removeExternalRoutes,
      ipv4Metric: config.ipv4NormalRoutePriority,
      ipv6Metric: config.ipv6NormalRoutePriority,
      ipv4Source: config.deviceRouteSourceAddress,
      ipv6Source: config.deviceRouteSourceAddressIPv6,
      ipv6: config.ipv6 ?? true,
      gracePeriodMs: config.routeCleanupGracePeriodMs,
      timers: this.#timers,
      log: this.#log,
      onResync: deps.onRouteResync,
    });
    this.#monitor = new InterfaceMonitor({
      ip: deps.ip,
      prefixes: config.interfacePrefixes,
      excludes: config.interfaceExcludes,
      refreshIntervalMs: config.interfaceRefreshIntervalMs,
      timers: this.#timers,
      log: this.#log,
      onUpdate: (name, link) => this.#onInterface(name, link),
      onInSync: () => this.#onApplyNeeded(),
    });
  }

  /** True when the kernel may be written: the calculation graph and the interface monitor are in sync. */
  get ready(): boolean {
    return this.#calcInSync && this.#monitor.inSync;
  }

  /** The tracked workload interfaces as last read. */
  get interfaces(): ReadonlyMap<string, KernelLink> {
    return this.#monitor.links;
  }

  /** The number of tracked workload interfaces (`felix_route_table_num_ifaces`). */
  get interfaceCount(): number {
    return this.#monitor.links.size;
  }

  /** The number of routes host networking wants in the kernel (`felix_route_table_num_routes`). */
  get routeCount(): number {
    return this.#routes.desiredRouteCount;
  }

  /**
   * Writes the global sysctls, reads the default `rp_filter`, and starts the interface monitor
   * and the route refresh timer. The only kernel writes allowed before in-sync.
   */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    // Failures are logged, not fatal (as in Felix): a host may forward by its own configuration.
    try {
      const failures = await this.#sysctls.write(globalSysctls({ ipForwarding: this.#config.ipForwarding ?? true, ipv6: this.#config.ipv6 ?? true }));
      for (const [key, reason] of failures) this.#log.warn('Cannot set global sysctl', { key, error: reason });
      this.#defaultRPFilter = await readDefaultRPFilter(this.#sysctls);
    } catch (err) {
      this.#log.error('Cannot write global sysctls', { error: (err as Error).message });
    }
    this.#monitor.start();
    this.#scheduleRouteRefresh();
  }

  /** Stops the monitor and timers and waits for a running apply. Kernel state is left in place. */
  async stop(): Promise<void> {
    this.#started = false;
    this.#cancelRefresh?.();
    this.#cancelRefresh = undefined;
    await this.#monitor.stop();
    await this.#applying.catch(() => {});
  }

  /** Consumes the messages that concern host networking; others are ignored. No kernel I/O. */
  onMessage(msg: DataplaneMessage): void {
    switch (msg.type) {
      case 'in-sync':
        this.#calcInSync = true;
        this.#onApplyNeeded();
        break;
      case 'endpoint-update':
        this.onEndpointUpdate(msg.id, msg.endpoint);
        break;
      case 'endpoint-remove':
        this.onEndpointRemove(msg.id);
        break;
      default:
        this.#vxlan?.onMessage(msg);
        break;
    }
  }

  /** A local endpoint appeared or changed. No kernel I/O. */
  onEndpointUpdate(id: EndpointID, endpoint: LocalEndpoint): void {
    const key = endpointKey(id);
    const old = this.#endpoints.get(key);
    if (!this.#config.interfacePrefixes.some((p) => endpoint.interfaceName.startsWith(p)) && !this.#warnedNames.has(endpoint.interfaceName)) {
      this.#warnedNames.add(endpoint.interfaceName);
      this.#log.warn('Endpoint interface does not match any workload interface prefix; it will get no routes', {
        endpoint: key, interface: endpoint.interfaceName, prefixes: this.#config.interfacePrefixes.join(','),
      });
    }
    this.#endpoints.set(key, { id, endpoint });
    if (old && old.endpoint.interfaceName !== endpoint.interfaceName) this.#unclaim(old.endpoint.interfaceName, key);
    let claims = this.#ifaceClaims.get(endpoint.interfaceName);
    if (!claims) this.#ifaceClaims.set(endpoint.interfaceName, (claims = new Set()));
    claims.add(key);
    this.#refreshInterface(endpoint.interfaceName);
  }

  /** A local endpoint went away. No kernel I/O. */
  onEndpointRemove(id: EndpointID): void {
    const key = endpointKey(id);
    const old = this.#endpoints.get(key);
    if (!old) return;
    this.#endpoints.delete(key);
    this.#unclaim(old.endpoint.interfaceName, key);
  }

  /** The status host networking would report for an endpoint now (undefined if unknown). */
  endpointStatus(id: EndpointID): EndpointStatus | undefined {
    return this.#statusOf(endpointKey(id));
  }

  /**
   * Writes everything out of sync: sysctls of interfaces that came up or changed, then routes and
   * neighbours. Does nothing before in-sync. Concurrent calls run one after the other.
   */
  apply(): Promise<HostNetworkingApplyResult> {
    const run = this.#applying.catch(() => {}).then(() => this.#apply());
    this.#applying = run;
    return run;
  }

  /** Makes the next apply re-read and repair all routes (what the refresh timer does). */
  queueRouteResync(): void {
    this.#routes.queueResync();
    this.#vxlan?.queueResync();
  }

  /** Requests a full interface rescan (what the interface refresh timer does). */
  requestInterfaceScan(): void {
    this.#monitor.requestScan();
  }

  async #apply(): Promise<HostNetworkingApplyResult> {
    if (!this.ready) return { applied: false, failures: 0, rescheduleAfterMs: undefined };
    let failures = await this.#configureInterfaces();
    const routes = await this.#routes.apply();
    failures += routes.failures;
    if (this.#vxlan) {
      try {
        failures += (await this.#vxlan.apply()).failures;
      } catch (err) {
        // Reading the kernel failed; the next apply retries (the manager stays dirty).
        failures++;
        this.#log.error('VXLAN apply failed', { error: (err as Error).message });
      }
    }
    this.#publishStatuses();
    return { applied: true, failures, rescheduleAfterMs: routes.rescheduleAfterMs };
  }

  async #configureInterfaces(): Promise<number> {
    const work = new Map<string, WorkloadSysctlOptions>();
    for (const name of this.#toConfigure) {
      const entry = this.#owner(name);
      // Only interfaces that are up and belong to an endpoint are configured; a later up
      // transition queues the interface again.
      if (!entry || !this.#up.has(name)) {
        this.#toConfigure.delete(name);
        continue;
      }
      work.set(name, this.#sysctlOptions(entry.endpoint));
    }
    if (work.size === 0) return 0;
    let results;
    try {
      results = await configureInterfaces(this.#sysctls, work);
    } catch (err) {
      this.#log.warn('Cannot write interface sysctls; will retry', { error: (err as Error).message });
      return work.size;
    }
    let failures = 0;
    for (const [name, result] of results) {
      for (const [key, reason] of result.failures) this.#log.warn('Cannot set interface sysctl', { interface: name, key, error: reason });
      if (result.configured) {
        this.#toConfigure.delete(name);
        this.#configured.set(name, signature(work.get(name)!));
      } else {
        failures++;
      }
    }
    return failures;
  }

  #sysctlOptions(endpoint: LocalEndpoint): WorkloadSysctlOptions {
    const exempt = this.#config.workloadSourceSpoofing === 'Any' && endpoint.allowSpoofedSourcePrefixes.length > 0;
    return { ipv6: this.#config.ipv6 ?? true, rpFilter: exempt ? '0' : this.#defaultRPFilter };
  }

  #onInterface(name: string, link: KernelLink | undefined): void {
    const up = link?.operUp ?? false;
    const wasUp = this.#up.has(name);
    if (up) this.#up.add(name);
    else this.#up.delete(name);
    this.#routes.onInterfaceUpdate(name, link ? { ifindex: link.ifindex, up } : undefined);
    // Sysctls are written whenever an interface comes up: a recreated tap starts from defaults.
    if (up && !wasUp) {
      this.#configured.delete(name);
      this.#toConfigure.add(name);
    }
    if (!link) this.#configured.delete(name);
    this.#onApplyNeeded();
  }

  /** Recomputes routes and sysctl needs of one interface from its owning endpoint. */
  #refreshInterface(name: string): void {
    const entry = this.#owner(name);
    this.#routes.setRoutes(name, entry ? this.#targets(entry) : []);
    if (entry && this.#configured.get(name) !== signature(this.#sysctlOptions(entry.endpoint))) this.#toConfigure.add(name);
  }

  #unclaim(name: string, key: string): void {
    const claims = this.#ifaceClaims.get(name);
    claims?.delete(key);
    if (claims?.size === 0) this.#ifaceClaims.delete(name);
    this.#refreshInterface(name);
  }

  /** The endpoint that owns an interface; with several claimants, the lowest key, deterministically. */
  #owner(name: string): EndpointEntry | undefined {
    const claims = this.#ifaceClaims.get(name);
    if (!claims || claims.size === 0) return undefined;
    const key = [...claims].sort()[0]!;
    return this.#endpoints.get(key);
  }

  #targets(entry: EndpointEntry): RouteTarget[] {
    const ep = entry.endpoint;
    const cidrs = [...ep.ipv4Nets, ...ep.ipv6Nets];
    if (ep.orchestrator === ORCHESTRATOR_OPENSTACK || this.#config.floatingIPs) {
      for (const nat of ep.ipv4NAT) cidrs.push(`${nat.externalIP}/32`);
      for (const nat of ep.ipv6NAT) cidrs.push(`${nat.externalIP}/128`);
    }
    return cidrs.map((cidr) => (ep.mac ? { cidr, mac: ep.mac } : { cidr }));
  }

  #statusOf(key: string): EndpointStatus | undefined {
    const entry = this.#endpoints.get(key);
    if (!entry) return undefined;
    const name = entry.endpoint.interfaceName;
    const configured = this.#configured.has(name) && !this.#toConfigure.has(name);
    return configured && this.#up.has(name) ? 'up' : 'down';
  }

  #publishStatuses(): void {
    for (const [key, { id }] of this.#endpoints) {
      const status = this.#statusOf(key)!;
      if (this.#statuses.get(key)?.status === status) continue;
      this.#statuses.set(key, { id, status });
      this.#onStatus(id, status);
    }
    for (const [key, { id }] of this.#statuses) {
      if (this.#endpoints.has(key)) continue;
      this.#statuses.delete(key);
      this.#onStatus(id, undefined);
    }
  }

  #scheduleRouteRefresh(): void {
    const interval = this.#config.routeRefreshIntervalMs ?? 90_000;
    if (interval <= 0 || !this.#started) return;
    const delay = interval * (1 + Math.random() * 0.1);
    this.#cancelRefresh = this.#timers.after(delay, () => {
      this.#routes.queueResync();
      this.#vxlan?.queueResync();
      this.#onApplyNeeded();
      this.#scheduleRouteRefresh();
    });
  }
}

function signature(options: WorkloadSysctlOptions): string {
  return `${options.ipv6 ? 6 : 4}/${options.rpFilter}`;
}
