/**
 * The floating IPs of each port as last read from Neutron, for the dynamic sync's fast path
 * (a port event applied from its payload without re-reading Neutron). Correctness rests on a
 * sequence number: a read is stored only if no floating-IP event touched its port after the
 * read began, and after a full load (the resync's list) a port with no entry has none, because
 * associating one announces itself with a `floatingip.*` event that invalidates the port.
 * @module
 */
import type { NeutronFloatingIp } from '../neutron/types.ts';
import { floatingIpsByPort } from './port-context.ts';

/** Floating IPs by port, with invalidation that beats reads already in flight. */
export class FloatingIpCache {
  #seq = 0;
  readonly #entries = new Map<string, { seq: number; fips: NeutronFloatingIp[] }>();
  /** Port id → the sequence number of the last event that touched its floating IPs. */
  readonly #invalidated = new Map<string, number>();
  /** The sequence number of the last full load, while one stands. */
  #fullSeq: number | undefined;
  /** The sequence number of the last `invalidateAll`: reads begun before it are not stored. */
  #allInvalidatedAt = 0;

  /** Call before reading floating IPs from Neutron; pass the result to `store` or `load`. */
  mark(): number {
    return ++this.#seq;
  }

  /** Stores port `portId`'s floating IPs as read since `seq`, unless an event touched them since. */
  store(seq: number, portId: string, fips: readonly NeutronFloatingIp[]): void {
    if (seq < this.#allInvalidatedAt || (this.#invalidated.get(portId) ?? 0) > seq) return;
    this.#entries.set(portId, { seq, fips: [...fips] });
  }

  /** Replaces everything with a full list of the region's floating IPs read since `seq`. */
  load(seq: number, fips: readonly NeutronFloatingIp[]): void {
    if (seq < this.#allInvalidatedAt) return;
    const byPort = floatingIpsByPort(fips);
    for (const [port, e] of this.#entries) if (e.seq < seq && !byPort.has(port)) this.#entries.delete(port);
    for (const [port, list] of byPort) this.store(seq, port, list);
    // Invalidations older than the load are settled by it.
    for (const [port, at] of this.#invalidated) if (at < seq) this.#invalidated.delete(port);
    this.#fullSeq = seq;
  }

  /** Port `portId`'s floating IPs changed (or may have): forget them until read again. */
  invalidate(portId: string): void {
    this.#entries.delete(portId);
    this.#invalidated.set(portId, ++this.#seq);
  }

  /** Something changed for an unknown port: forget everything until the next full load. */
  invalidateAll(): void {
    this.#entries.clear();
    this.#invalidated.clear();
    this.#fullSeq = undefined;
    this.#allInvalidatedAt = ++this.#seq;
  }

  /** Forgets a deleted port. */
  forget(portId: string): void {
    this.#entries.delete(portId);
  }

  /** Port `portId`'s floating IPs when known for sure, else undefined. */
  get(portId: string): NeutronFloatingIp[] | undefined {
    const inv = this.#invalidated.get(portId) ?? 0;
    const e = this.#entries.get(portId);
    if (e) return inv < e.seq ? e.fips : undefined;
    if (this.#fullSeq !== undefined && inv < this.#fullSeq) return [];
    return undefined;
  }
}
