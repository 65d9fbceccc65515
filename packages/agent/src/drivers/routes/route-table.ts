/**
 * The route table driver (Felix's `routetable`): reconciles the main table's routes to workload
 * interfaces, and their permanent IPv4 neighbour entries, with what the kernel holds (spec
 * agent-dataplane §6.1). The host-networking facade says which addresses belong on which
 * interface; this driver programs them only while the interface is up, removes routes it owns
 * that nobody wants (after a grace period on new interfaces), and clears conntrack state of
 * addresses that stop being routed to an interface.
 *
 *   setRoutes / onInterfaceUpdate ──▶ desired (per CIDR) ─┐
 *   queueResync ──▶ ip -json route/neigh show ─▶ kernel ──┴─▶ diff of dirty CIDRs ─▶ ip -force -batch -
 *                                                                                 └─▶ conntrack -D
 * @module
 */
import { canonicalCIDR } from '@percale/api';
import { isConntrackMissing, type ConntrackShim } from '../../shims/conntrack.ts';
import {
  ROUTE_TYPE_UNICAST, RouteProtocol, SCOPE_LINK, routeTypeName,
  type IPFamily, type Iproute2, type KernelRoute,
} from '../../shims/ip.ts';
import { realTimers, type Timers } from '../../shims/timers.ts';
import { SILENT_LOG, type DriverLog } from './driver-log.ts';

/** What the route table needs from iproute2. */
export type RouteKernel = Pick<Iproute2, 'listRoutes' | 'listPermanentNeighbours' | 'batch'>;

/** Felix's exclusive route protocol: a main-table route carrying it is always agent-owned. */
export const EXCLUSIVE_ROUTE_PROTOCOL = 80;

/** Options of `RouteTable`; defaults are Felix's. */
export interface RouteTableOptions {
  ip: RouteKernel;
  /** Deletes flows of addresses that stop being routed to an interface; none disables cleanup. */
  conntrack?: ConntrackShim;
  /** Workload interface prefixes (`InterfacePrefix`). */
  workloadPrefixes: readonly string[];
  /** `DeviceRouteProtocol`; default 3 (`boot`). */
  deviceRouteProtocol?: number;
  /** `RemoveExternalRoutes`: every route via a workload interface is ours. Default true. */
  removeExternalRoutes?: boolean;
  /** `IPv4NormalRoutePriority`; default 1024. */
  ipv4Metric?: number;
  /** `IPv6NormalRoutePriority`; default 1024. */
  ipv6Metric?: number;
  /** `DeviceRouteSourceAddress`. */
  ipv4Source?: string;
  /** `DeviceRouteSourceAddressIPv6`. */
  ipv6Source?: string;
  /** Manage IPv6 routes (`Ipv6Support`); default true. */
  ipv6?: boolean;
  /** How long unexpected routes on a newly seen workload interface are kept; default 10 s. */
  gracePeriodMs?: number;
  timers?: Timers;
  log?: DriverLog;
  /** Called after each full read-back with its duration (`felix_route_table_resync_seconds`). */
  onResync?(seconds: number): void;
  /** Routes another driver owns (the VXLAN driver's protocol-80 routes off workload interfaces): never touched. */
  foreign?(route: KernelRoute): boolean;
}

/** One address to route to an interface; `mac` adds a permanent neighbour entry (IPv4 only). */
export interface RouteTarget {
  cidr: string;
  mac?: string;
}

/** What the interface monitor says about an interface. */
export interface InterfaceState {
  ifindex: number;
  /** Operationally up (`IFF_RUNNING`). */
  up: boolean;
}

/** Outcome of one `apply()`. */
export interface RouteApplyResult {
  /** Kernel writes that failed and stay queued for the next apply. */
  failures: number;
  /** Deletions held back by the grace period: apply again after this many ms. */
  rescheduleAfterMs: number | undefined;
  /** Commands written to the kernel (0 when nothing was out of sync). */
  writes: number;
}

interface DesiredRoute {
  family: IPFamily;
  cidr: string;
  dev: string;
  metric: number;
  src: string | undefined;
}

interface KnownInterface extends InterfaceState {
  firstSeen: number;
}

/** An operation of one batch, so a failed line maps back to what it meant. */
type Op =
  | { kind: 'route-del'; route: KernelRoute }
  | { kind: 'route-replace'; route: DesiredRoute }
  | { kind: 'neigh-replace'; dev: string; ip: string; mac: string }
  | { kind: 'neigh-flush'; dev: string; ip: string };

/** A delete that finds nothing to delete has reached its goal (the kernel drops routes of vanished devices). */
const GONE = /No such process|Cannot find device|does not exist/;

function familyOf(cidr: string): IPFamily {
  return cidr.includes(':') ? 6 : 4;
}

function isSingleAddress(cidr: string): boolean {
  return cidr.endsWith(familyOf(cidr) === 4 ? '/32' : '/128');
}

function addressOf(cidr: string): string {
  return cidr.slice(0, cidr.indexOf('/'));
}

function hostAddress(ip: string | undefined): string | undefined {
  const cidr = ip === undefined ? undefined : canonicalCIDR(ip);
  return cidr === undefined ? undefined : addressOf(cidr);
}

function canonicalMAC(mac: string | undefined): string | undefined {
  if (mac === undefined) return undefined;
  const m = mac.trim().toLowerCase();
  return /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(m) ? m : undefined;
}

/** Reconciles workload routes and neighbour entries with the kernel's main table. */
export class RouteTable {
  readonly #ip: RouteKernel;
  #conntrack: ConntrackShim | undefined;
  readonly #prefixes: readonly string[];
  readonly #protocol: number;
  readonly #removeExternal: boolean;
  readonly #metric: Record<IPFamily, number>;
  readonly #source: Record<IPFamily, string | undefined>;
  readonly #ipv6: boolean;
  readonly #graceMs: number;
  readonly #timers: Timers;
  readonly #log: DriverLog;
  readonly #onResync: ((seconds: number) => void) | undefined;
  readonly #foreign: ((route: KernelRoute) => boolean) | undefined;
  /** Protocols that mark a route on a workload interface as ours when `RemoveExternalRoutes` is off. */
  readonly #ourProtocols: readonly number[];
  /** Protocols that mark any main-table route as ours. */
  readonly #exclusiveProtocols: readonly number[];

  /** Interfaces the monitor reported. */
  readonly #ifaces = new Map<string, KnownInterface>();
  /** Requested targets per interface: CIDR → MAC. */
  readonly #targets = new Map<string, Map<string, string | undefined>>();
  /** CIDR → interfaces that asked for it. */
  readonly #claims = new Map<string, Set<string>>();
  /** The route each CIDR should have (at most one: the conflict winner). */
  readonly #desired = new Map<string, DesiredRoute>();
  /** Routes in the kernel that this table manages, by CIDR (several metrics possible). */
  readonly #kernel = new Map<string, KernelRoute[]>();
  /** Permanent neighbours on workload interfaces in the kernel: dev → IP → MAC. */
  readonly #kernelNeigh = new Map<string, Map<string, string | undefined>>();
  /** `cidr|metric|dev` of routes, and `dev|ip` of neighbours, this process wrote: deleted without grace. */
  readonly #written = new Set<string>();

  readonly #dirtyCidrs = new Set<string>();
  readonly #dirtyNeighDevs = new Set<string>();
  /** Single addresses whose flows must be flushed: the kernel dropped their routes with the device. */
  readonly #conntrackPending = new Map<string, IPFamily>();
  #resyncWanted = true;
  #applying = false;

  constructor(options: RouteTableOptions) {
    this.#ip = options.ip;
    this.#conntrack = options.conntrack;
    this.#prefixes = options.workloadPrefixes;
    this.#protocol = options.deviceRouteProtocol ?? RouteProtocol.boot;
    this.#removeExternal = options.removeExternalRoutes ?? true;
    // The kernel stores IPv6 metric 0 as 1024; normalise so the read-back compares equal.
    this.#metric = { 4: options.ipv4Metric ?? 1024, 6: options.ipv6Metric || 1024 };
    this.#source = { 4: hostAddress(options.ipv4Source), 6: hostAddress(options.ipv6Source) };
    this.#ipv6 = options.ipv6 ?? true;
    this.#graceMs = options.gracePeriodMs ?? 10_000;
    this.#timers = options.timers ?? realTimers;
    this.#log = options.log ?? SILENT_LOG;
    this.#onResync = options.onResync;
    this.#foreign = options.foreign;
    // `boot` was Felix's default before it had a protocol of its own, so `boot` routes on
    // workload interfaces stay recognisable as ours.
    this.#ourProtocols = this.#protocol === RouteProtocol.boot
      ? [RouteProtocol.boot, EXCLUSIVE_ROUTE_PROTOCOL]
      : [this.#protocol];
    this.#exclusiveProtocols = this.#protocol === RouteProtocol.boot ? [EXCLUSIVE_ROUTE_PROTOCOL] : [this.#protocol];
  }

  /** The number of routes the table wants in the kernel. */
  get desiredRouteCount(): number {
    return this.#desired.size;
  }

  /** Replaces the addresses to route to `iface` (empty: none). Invalid CIDRs are logged and skipped. */
  setRoutes(iface: string, targets: readonly RouteTarget[]): void {
    const next = new Map<string, string | undefined>();
    for (const t of targets) {
      const cidr = canonicalCIDR(t.cidr);
      if (cidr === undefined) {
        this.#log.warn('Ignoring invalid route destination', { interface: iface, cidr: t.cidr });
        continue;
      }
      if (familyOf(cidr) === 6 && !this.#ipv6) continue;
      next.set(cidr, canonicalMAC(t.mac));
    }
    const old = this.#targets.get(iface) ?? new Map<string, string | undefined>();
    for (const cidr of old.keys()) {
      if (next.has(cidr)) continue;
      this.#claims.get(cidr)?.delete(iface);
      if (this.#claims.get(cidr)?.size === 0) this.#claims.delete(cidr);
      this.#recompute(cidr);
    }
    for (const cidr of next.keys()) {
      if (old.has(cidr)) continue;
      let claim = this.#claims.get(cidr);
      if (!claim) this.#claims.set(cidr, (claim = new Set()));
      claim.add(iface);
      this.#recompute(cidr);
    }
    if (next.size === 0) this.#targets.delete(iface);
    else this.#targets.set(iface, next);
    this.#dirtyNeighDevs.add(iface);
  }

  /** Records an interface's existence and state, as reported by the interface monitor. */
  onInterfaceUpdate(name: string, state: InterfaceState | undefined): void {
    const old = this.#ifaces.get(name);
    if (state === undefined) {
      if (!old) return;
      this.#ifaces.delete(name);
      this.#forgetDevice(name);
    } else {
      const replaced = old !== undefined && old.ifindex !== state.ifindex;
      if (replaced) this.#forgetDevice(name);
      const firstSeen = old && !replaced ? old.firstSeen : this.#timers.now();
      this.#ifaces.set(name, { ...state, firstSeen });
      if (old && !replaced && old.up === state.up) return;
    }
    for (const cidr of this.#targets.get(name)?.keys() ?? []) this.#recompute(cidr);
    for (const [cidr, routes] of this.#kernel) if (routes.some((r) => r.dev === name)) this.#dirtyCidrs.add(cidr);
    this.#dirtyNeighDevs.add(name);
  }

  /** Makes the next `apply()` re-read the kernel and repair every difference. */
  queueResync(): void {
    this.#resyncWanted = true;
  }

  /** Writes what is out of sync; a resync first if one is queued. */
  async apply(): Promise<RouteApplyResult> {
    // The kernel view is rebuilt and patched across awaits: two applies at once would corrupt it.
    if (this.#applying) throw new Error('RouteTable.apply() called while an apply is running: the caller must serialise applies');
    this.#applying = true;
    try {
      return await this.#apply();
    } finally {
      this.#applying = false;
    }
  }

  async #apply(): Promise<RouteApplyResult> {
    if (this.#resyncWanted) {
      try {
        await this.#resync();
      } catch (err) {
        this.#log.error('Cannot read routes from the kernel; will retry', { error: (err as Error).message });
        return { failures: 1, rescheduleAfterMs: undefined, writes: 0 };
      }
    }
    const now = this.#timers.now();
    let holdUntil = Infinity;
    const heldCidrs = new Set<string>();
    const heldDevs = new Set<string>();
    const deletes: Op[] = [];
    const replaces: Op[] = [];
    const moves: Op[] = [];
    const neighbours: Op[] = [];
    const flushes: Op[] = [];

    const graceEnd = (dev: string | undefined, written: boolean): number => {
      if (written || dev === undefined) return -Infinity;
      const iface = this.#ifaces.get(dev);
      // A route on an interface the monitor has not reported yet is left alone until it has.
      if (!iface) return Infinity;
      return this.#isWorkload(dev) ? iface.firstSeen + this.#graceMs : -Infinity;
    };

    for (const cidr of this.#dirtyCidrs) {
      const want = this.#desired.get(cidr);
      let satisfied = false;
      let moving = false;
      for (const have of this.#kernel.get(cidr) ?? []) {
        if (want && have.metric === want.metric) {
          satisfied = this.#matches(have, want);
          moving = !satisfied && have.dev !== undefined && have.dev !== want.dev && this.#conntrack !== undefined && isSingleAddress(cidr);
          if (moving) deletes.push({ kind: 'route-del', route: have });
          continue;
        }
        if (!this.#owns(have) && !this.#written.has(this.#routeKey(have))) continue;
        const end = graceEnd(have.dev, this.#written.has(this.#routeKey(have)));
        if (end > now) {
          if (end !== Infinity) heldCidrs.add(cidr);
          holdUntil = Math.min(holdUntil, end);
          continue;
        }
        deletes.push({ kind: 'route-del', route: have });
      }
      if (want && !satisfied) (moving ? moves : replaces).push({ kind: 'route-replace', route: want });
    }

    for (const dev of this.#dirtyNeighDevs) {
      const want = this.#desiredNeighbours(dev);
      const have = this.#kernelNeigh.get(dev) ?? new Map<string, string | undefined>();
      for (const [ip, mac] of want) if (have.get(ip) !== mac) neighbours.push({ kind: 'neigh-replace', dev, ip, mac });
      for (const ip of have.keys()) {
        if (want.has(ip)) continue;
        const end = graceEnd(dev, this.#written.has(`${dev}|${ip}`));
        if (end > now) {
          if (end !== Infinity) heldDevs.add(dev);
          holdUntil = Math.min(holdUntil, end);
          continue;
        }
        flushes.push({ kind: 'neigh-flush', dev, ip });
      }
    }

    // Anything that fails is marked dirty again; deletions held back by the grace period stay
    // dirty for the apply after it ends.
    this.#dirtyCidrs.clear();
    this.#dirtyNeighDevs.clear();
    for (const cidr of heldCidrs) this.#dirtyCidrs.add(cidr);
    for (const dev of heldDevs) this.#dirtyNeighDevs.add(dev);

    let failures = 0;
    let writes = 0;
    const lost = new Map<string, IPFamily>(this.#conntrackPending);
    this.#conntrackPending.clear();

    // Route writes first, then neighbours; neighbour flushes last, because a few `ip neigh`
    // failures end the whole batch even under -force.
    const first = [...deletes, ...replaces, ...neighbours, ...flushes];
    const r1 = await this.#runBatch(first, lost);
    failures += r1;
    writes += first.length;
    // A moving address loses its old route and its flows before it gets the new route, so the
    // new workload never sees packets of connections tracked for the old one. If the old route
    // could not be deleted, the move waits for the retry (its CIDR is dirty again).
    const ready = moves.filter((op) => op.kind === 'route-replace' && !this.#dirtyCidrs.has(op.route.cidr));
    for (const op of moves) if (!ready.includes(op)) this.#markFailed(op);
    if (ready.length > 0) {
      await this.#cleanConntrack(lost);
      lost.clear();
      failures += await this.#runBatch(ready, lost);
      writes += ready.length;
    }
    await this.#cleanConntrack(lost);
    return { failures, rescheduleAfterMs: holdUntil === Infinity ? undefined : Math.max(0, holdUntil - now), writes };
  }

  /** Runs one batch, updates the kernel view, re-marks failures dirty; returns the failure count. */
  async #runBatch(ops: readonly Op[], lost: Map<string, IPFamily>): Promise<number> {
    if (ops.length === 0) return 0;
    let result;
    try {
      result = await this.#ip.batch(ops.map((op) => this.#render(op)));
    } catch (err) {
      this.#log.error('Cannot run ip batch; will resync', { error: (err as Error).message });
      this.#failAll(ops);
      return ops.length;
    }
    if (result.aborted) {
      // Lines after the one that stopped `ip` never ran; only a read-back says where we are.
      this.#log.warn('ip batch stopped early; will resync', { stderr: result.stderr.trim() });
      this.#failAll(ops);
      return ops.length;
    }
    let failures = 0;
    ops.forEach((op, i) => {
      const error = result.failures.get(i);
      const gone = error !== undefined && (op.kind === 'route-del' || op.kind === 'neigh-flush') && GONE.test(error);
      if (error !== undefined && !gone) {
        failures++;
        this.#log.warn('Kernel write failed; will retry', { command: this.#render(op), error });
        this.#markFailed(op);
        return;
      }
      this.#commit(op, lost);
    });
    return failures;
  }

  #failAll(ops: readonly Op[]): void {
    this.#resyncWanted = true;
    for (const op of ops) this.#markFailed(op);
  }

  #markFailed(op: Op): void {
    if (op.kind === 'route-del') this.#dirtyCidrs.add(op.route.dst);
    else if (op.kind === 'route-replace') this.#dirtyCidrs.add(op.route.cidr);
    else this.#dirtyNeighDevs.add(op.dev);
  }

  /** Records a successful write in the kernel view. */
  #commit(op: Op, lost: Map<string, IPFamily>): void {
    switch (op.kind) {
      case 'route-del': {
        const cidr = op.route.dst;
        const rest = (this.#kernel.get(cidr) ?? []).filter((r) => r !== op.route);
        if (rest.length) this.#kernel.set(cidr, rest);
        else this.#kernel.delete(cidr);
        this.#written.delete(this.#routeKey(op.route));
        // Flows survive unless the address now goes to another interface (or nowhere).
        if (isSingleAddress(cidr) && this.#desired.get(cidr)?.dev !== op.route.dev) lost.set(addressOf(cidr), op.route.family);
        break;
      }
      case 'route-replace': {
        const want = op.route;
        const route: KernelRoute = {
          family: want.family, dst: want.cidr, type: ROUTE_TYPE_UNICAST, dev: want.dev, protocol: this.#protocol,
          scope: want.family === 4 ? SCOPE_LINK : 0, metric: want.metric, gateway: undefined, prefsrc: want.src, multipath: false,
        };
        const replaced = (this.#kernel.get(want.cidr) ?? []).filter((r) => r.metric === want.metric);
        for (const r of replaced) {
          this.#written.delete(this.#routeKey(r));
          if (r.dev !== want.dev && isSingleAddress(want.cidr)) lost.set(addressOf(want.cidr), want.family);
        }
        this.#kernel.set(want.cidr, [...(this.#kernel.get(want.cidr) ?? []).filter((r) => r.metric !== want.metric), route]);
        this.#written.add(this.#routeKey(route));
        break;
      }
      case 'neigh-replace': {
        let m = this.#kernelNeigh.get(op.dev);
        if (!m) this.#kernelNeigh.set(op.dev, (m = new Map()));
        m.set(op.ip, op.mac);
        this.#written.add(`${op.dev}|${op.ip}`);
        break;
      }
      case 'neigh-flush':
        this.#kernelNeigh.get(op.dev)?.delete(op.ip);
        if (this.#kernelNeigh.get(op.dev)?.size === 0) this.#kernelNeigh.delete(op.dev);
        this.#written.delete(`${op.dev}|${op.ip}`);
        break;
    }
  }

  #render(op: Op): string {
    switch (op.kind) {
      case 'route-del': {
        const r = op.route;
        const type = r.type === ROUTE_TYPE_UNICAST ? '' : `${routeTypeName(r.type)} `;
        return `route del ${type}${r.dst}${r.dev ? ` dev ${r.dev}` : ''} metric ${r.metric} table main`;
      }
      case 'route-replace': {
        const r = op.route;
        const scope = r.family === 4 ? ' scope link' : '';
        const src = r.src ? ` src ${r.src}` : '';
        return `route replace ${r.cidr} dev ${r.dev} proto ${this.#protocol}${scope} metric ${r.metric}${src} table main`;
      }
      case 'neigh-replace':
        return `neigh replace ${op.ip} lladdr ${op.mac} dev ${op.dev} nud permanent`;
      case 'neigh-flush':
        // `neigh del` of a missing entry ends the batch; `flush` of nothing is a success.
        return `neigh flush to ${op.ip} dev ${op.dev} nud permanent`;
    }
  }

  async #cleanConntrack(addresses: ReadonlyMap<string, IPFamily>): Promise<void> {
    for (const [ip, family] of addresses) {
      const conntrack = this.#conntrack;
      if (!conntrack) return;
      try {
        await conntrack.deleteFlowsOf(family, ip);
      } catch (err) {
        if (isConntrackMissing(err)) {
          this.#log.warn('conntrack is not installed: flows of addresses that leave an interface are not cleared');
          this.#conntrack = undefined;
          return;
        }
        this.#log.warn('Cannot delete conntrack flows', { ip, error: (err as Error).message });
      }
    }
  }

  async #resync(): Promise<void> {
    const started = this.#timers.now();
    const families: IPFamily[] = this.#ipv6 ? [4, 6] : [4];
    const [neighbours, ...routeLists] = await Promise.all([
      this.#ip.listPermanentNeighbours(),
      ...families.map((f) => this.#ip.listRoutes(f)),
    ]);
    const previous = new Set(this.#kernel.keys());
    this.#kernel.clear();
    for (const route of routeLists.flat()) {
      // The kernel owns each interface's IPv6 link-local route.
      if (route.family === 6 && route.dst === 'fe80::/64') continue;
      if (this.#foreign?.(route)) continue;
      if (!this.#owns(route) && !this.#desired.has(route.dst)) continue;
      const list = this.#kernel.get(route.dst);
      if (list) list.push(route);
      else this.#kernel.set(route.dst, [route]);
    }
    const previousNeigh = new Set(this.#kernelNeigh.keys());
    this.#kernelNeigh.clear();
    for (const n of neighbours) {
      if (!n.permanent || !this.#isWorkload(n.dev)) continue;
      let m = this.#kernelNeigh.get(n.dev);
      if (!m) this.#kernelNeigh.set(n.dev, (m = new Map()));
      m.set(n.ip, n.lladdr);
    }
    for (const cidr of [...previous, ...this.#kernel.keys(), ...this.#desired.keys()]) this.#dirtyCidrs.add(cidr);
    for (const dev of [...previousNeigh, ...this.#kernelNeigh.keys(), ...this.#targets.keys()]) this.#dirtyNeighDevs.add(dev);
    this.#resyncWanted = false;
    this.#onResync?.((this.#timers.now() - started) / 1000);
  }

  /** Re-evaluates which interface (if any) gets `cidr`: the up interface with the highest index. */
  #recompute(cidr: string): void {
    let best: { name: string; ifindex: number } | undefined;
    for (const name of this.#claims.get(cidr) ?? []) {
      const iface = this.#ifaces.get(name);
      if (!iface?.up) continue;
      if (!best || iface.ifindex > best.ifindex || (iface.ifindex === best.ifindex && name < best.name)) best = { name, ifindex: iface.ifindex };
    }
    const family = familyOf(cidr);
    if (best) this.#desired.set(cidr, { family, cidr, dev: best.name, metric: this.#metric[family], src: this.#source[family] });
    else this.#desired.delete(cidr);
    this.#dirtyCidrs.add(cidr);
  }

  #desiredNeighbours(dev: string): Map<string, string> {
    const out = new Map<string, string>();
    if (!this.#ifaces.get(dev)?.up) return out;
    for (const [cidr, mac] of this.#targets.get(dev) ?? []) {
      if (mac !== undefined && familyOf(cidr) === 4 && isSingleAddress(cidr)) out.set(addressOf(cidr), mac);
    }
    return out;
  }

  /** The kernel dropped a vanished (or replaced) device's routes and neighbours. */
  #forgetDevice(name: string): void {
    for (const [cidr, routes] of this.#kernel) {
      const rest = routes.filter((r) => r.dev !== name);
      if (rest.length === routes.length) continue;
      for (const r of routes) {
        if (r.dev !== name) continue;
        this.#written.delete(this.#routeKey(r));
        if (isSingleAddress(cidr)) this.#conntrackPending.set(addressOf(cidr), r.family);
      }
      if (rest.length) this.#kernel.set(cidr, rest);
      else this.#kernel.delete(cidr);
    }
    for (const ip of this.#kernelNeigh.get(name)?.keys() ?? []) this.#written.delete(`${name}|${ip}`);
    this.#kernelNeigh.delete(name);
  }

  #isWorkload(dev: string): boolean {
    return this.#prefixes.some((p) => dev.startsWith(p));
  }

  /** Felix's main-table ownership policy (spec §6.1). */
  #owns(route: KernelRoute): boolean {
    if (this.#exclusiveProtocols.includes(route.protocol)) return true;
    if (route.dev === undefined || !this.#isWorkload(route.dev)) return false;
    return this.#removeExternal || this.#ourProtocols.includes(route.protocol);
  }

  #matches(have: KernelRoute, want: DesiredRoute): boolean {
    return have.type === ROUTE_TYPE_UNICAST && have.dev === want.dev && have.protocol === this.#protocol
      && have.scope === (want.family === 4 ? SCOPE_LINK : 0) && have.gateway === undefined && !have.multipath
      && have.prefsrc === want.src;
  }

  #routeKey(route: KernelRoute): string {
    return `${route.dst}|${route.metric}|${route.dev ?? ''}`;
  }
}
