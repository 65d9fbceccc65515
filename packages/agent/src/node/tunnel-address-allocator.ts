/**
 * Keeps this host's Node `spec.ipv4VXLANTunnelAddr` and `spec.vxlanTunnelMACAddr` right (the
 * part of calico-node's `allocateip` that OpenStack hosts need): after the syncer is in sync,
 * and whenever IP pools, Nodes or a workload holding our tunnel address change, it reads the
 * Node, chooses the address (`chooseTunnelAddress`) and writes only those two fields with a
 * compare-and-swap update, so concurrent writers of the Node (`percale bgp`, calicoctl) keep
 * theirs. It never creates the Node: Node registration (with the host's address, without which
 * VXLAN cannot work) is `percale bgp`'s.
 * @module
 */
import type { Resource } from '@percale/api';
import { isNotFound, isRevisionConflict, type Store, type WatchEvent } from '@percale/datastore';

import { vtepMACForNode } from '../calc/tunnel-route-resolver.ts';
import { chooseTunnelAddress, isTunnelPool, vxlanModeOn, type TunnelPool } from './choose-tunnel-address.ts';

/** Logging seam. */
export interface AllocatorLog {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
}

/** Options of the allocator. */
export interface TunnelAddressAllocatorOptions {
  store: Store;
  hostname: string;
  log: AllocatorLog;
  /** Retry delay after a failed write (default 5 s). */
  retryMs?: number;
  /** Compare-and-swap attempts per run (default 5). */
  maxAttempts?: number;
}

type Spec = Record<string, unknown>;

function specOf(r: Resource | undefined): Spec {
  const s = r?.spec;
  return typeof s === 'object' && s !== null && !Array.isArray(s) ? (s as Spec) : {};
}

function workloadIPv4s(r: Resource): string[] {
  const nets = specOf(r).ipNetworks;
  if (!Array.isArray(nets)) return [];
  return nets.filter((n): n is string => typeof n === 'string' && n.endsWith('/32')).map((n) => n.slice(0, -3));
}

/** The Node tunnel-address writer. */
export class TunnelAddressAllocator {
  readonly #store: Store;
  readonly #hostname: string;
  readonly #log: AllocatorLog;
  readonly #retryMs: number;
  readonly #maxAttempts: number;
  /** Pools with VXLAN (or that had it): a change to any pool re-runs only if VXLAN is involved. */
  readonly #vxlanPools = new Set<string>();
  #current: string | undefined;
  #inSync = false;
  #running: Promise<void> | undefined;
  #again = false;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  /**
   * Whether keeping the current address needs the full workload list (first run, or a workload
   * event named our address since). Otherwise runs read only the Node, pools and Nodes: at 100k
   * endpoints a workload list is the expensive part.
   */
  #checkWorkloads = true;

  constructor(options: TunnelAddressAllocatorOptions) {
    this.#store = options.store;
    this.#hostname = options.hostname;
    this.#log = options.log;
    this.#retryMs = options.retryMs ?? 5_000;
    this.#maxAttempts = options.maxAttempts ?? 5;
  }

  /** A syncer event: decides cheaply whether the address must be looked at again. */
  onEvent(event: WatchEvent): void {
    if (event.type === 'ERROR') return;
    const r = event.type === 'DELETED' ? event.previous : event.resource;
    const spec = event.type === 'DELETED' ? {} : specOf(event.resource);
    let relevant = false;
    if (r.kind === 'IPPool') {
      const vxlan = vxlanModeOn(spec.vxlanMode);
      relevant = vxlan || this.#vxlanPools.has(r.metadata.name!);
      if (vxlan) this.#vxlanPools.add(r.metadata.name!);
      else this.#vxlanPools.delete(r.metadata.name!);
    } else if (r.kind === 'Node') {
      if (r.metadata.name === this.#hostname) {
        this.#current = typeof spec.ipv4VXLANTunnelAddr === 'string' ? spec.ipv4VXLANTunnelAddr : undefined;
        relevant = true;
      } else {
        // Another host claiming our address (or releasing one we might want).
        relevant = this.#current !== undefined && spec.ipv4VXLANTunnelAddr === this.#current;
      }
    } else if (r.kind === 'WorkloadEndpoint') {
      relevant = this.#current !== undefined && event.type !== 'DELETED' && workloadIPv4s(r).includes(this.#current);
      if (relevant) this.#checkWorkloads = true;
    }
    if (relevant) this.#schedule();
  }

  /** The syncer is in sync: the first run. */
  onInSync(): void {
    this.#inSync = true;
    this.#schedule();
  }

  /** Waits for a running write; no further runs. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#running?.catch(() => undefined);
  }

  /** Runs now (or after the current run); resolves when done. For tests and start-up. */
  async reconcileNow(): Promise<void> {
    this.#schedule();
    while (this.#running) await this.#running;
  }

  #schedule(): void {
    if (!this.#inSync || this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#run().finally(() => {
      this.#running = undefined;
      if (this.#again) {
        this.#again = false;
        this.#schedule();
      }
    });
  }

  async #run(): Promise<void> {
    try {
      for (let attempt = 1; attempt <= this.#maxAttempts; attempt++) {
        if (await this.#attempt()) return;
      }
      throw new Error(`Node "${this.#hostname}" kept changing during ${this.#maxAttempts} compare-and-swap attempts`);
    } catch (err) {
      this.#checkWorkloads = true;
      this.#log.warn('Cannot update this host\'s VXLAN tunnel address on its Node; retrying', { error: (err as Error).message, retryInMs: this.#retryMs });
      if (this.#timer) clearTimeout(this.#timer);
      this.#timer = setTimeout(() => this.#schedule(), this.#retryMs);
      this.#timer.unref();
    }
  }

  /** One read-choose-write; false when the Node changed underneath (retry). */
  async #attempt(): Promise<boolean> {
    let node: Resource;
    try {
      node = await this.#store.get({ kind: 'Node', name: this.#hostname });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      if (this.#vxlanPools.size > 0) this.#log.warn(`VXLAN needs Node "${this.#hostname}" (with spec.bgp.ipv4Address), which does not exist yet; percale bgp registers it`);
      return true;
    }
    const spec = specOf(node);
    const current = typeof spec.ipv4VXLANTunnelAddr === 'string' && spec.ipv4VXLANTunnelAddr !== '' ? spec.ipv4VXLANTunnelAddr : undefined;
    const pools = (await this.#store.list({ kind: 'IPPool' })).items.map((p): TunnelPool => {
      const s = specOf(p);
      return { name: p.metadata.name!, cidr: String(s.cidr ?? ''), vxlanMode: typeof s.vxlanMode === 'string' ? s.vxlanMode : 'Never', disabled: s.disabled === true };
    });
    if (current === undefined && !pools.some(isTunnelPool)) return true;
    const otherNodes = new Map<string, string>();
    for (const n of (await this.#store.list({ kind: 'Node' })).items) {
      const addr = specOf(n).ipv4VXLANTunnelAddr;
      if (n.metadata.name !== this.#hostname && typeof addr === 'string' && addr !== '') otherNodes.set(n.metadata.name!, addr);
    }
    const workloads = async () => new Set((await this.#store.list({ kind: 'WorkloadEndpoint' })).items.flatMap(workloadIPv4s));
    const checkAll = this.#checkWorkloads || current === undefined;
    this.#checkWorkloads = false;
    let choice = chooseTunnelAddress({ hostname: this.#hostname, current, pools, otherNodes, workloadIPs: checkAll ? await workloads() : new Set() });
    // A new address must avoid every workload's.
    if (!checkAll && choice.reason !== 'kept') choice = chooseTunnelAddress({ hostname: this.#hostname, current, pools, otherNodes, workloadIPs: await workloads() });
    const mac = typeof spec.vxlanTunnelMACAddr === 'string' && spec.vxlanTunnelMACAddr !== '' ? spec.vxlanTunnelMACAddr : undefined;
    const wantMac = choice.address !== undefined ? (mac ?? vtepMACForNode(this.#hostname)) : mac;
    if (choice.address === current && wantMac === mac) return true;
    if (choice.reason === 'pools-full') this.#log.warn('No free address for this host\'s VXLAN tunnel in any VXLAN pool', { node: this.#hostname });
    const next: Spec = { ...spec };
    if (choice.address === undefined) delete next.ipv4VXLANTunnelAddr;
    else next.ipv4VXLANTunnelAddr = choice.address;
    if (wantMac !== undefined) next.vxlanTunnelMACAddr = wantMac;
    try {
      await this.#store.update({ ...node, spec: next });
    } catch (err) {
      if (isRevisionConflict(err)) return false;
      throw err;
    }
    this.#current = choice.address;
    this.#log.info('VXLAN tunnel address of this host updated on its Node', { node: this.#hostname, from: current ?? '(none)', to: choice.address ?? '(none)', reason: choice.reason });
    return true;
  }
}
