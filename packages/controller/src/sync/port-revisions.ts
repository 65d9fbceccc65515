/**
 * The newest `revision_number` the dynamic sync has seen per Neutron port, so that a port
 * carried by a notification is applied only when it is not older than what was already read
 * or applied (several neutron-servers may deliver their notifications out of order). Bounded:
 * past `limit` ports the longest-untouched ones are forgotten, which only costs those ports
 * the Neutron re-read on their next event.
 * @module
 */

/** Per-port revision memory with bounded size. A deleted port is remembered as newer than any revision. */
export class PortRevisions {
  readonly #limit: number;
  /** Map order is least recently touched first. */
  readonly #seen = new Map<string, number>();

  constructor(limit = 100_000) {
    this.#limit = limit;
  }

  /** Records that port `id` was seen at `revision` (kept only if it is the newest so far). */
  note(id: string, revision: number | undefined): void {
    if (typeof revision !== 'number' || !Number.isFinite(revision)) return;
    this.#touch(id, Math.max(revision, this.#seen.get(id) ?? -Infinity));
  }

  /** Records that port `id` no longer exists: no notification payload for it is ever applied again. */
  noteDeleted(id: string): void {
    this.#touch(id, Infinity);
  }

  /** True when a payload of port `id` at `revision` may be applied: nothing newer has been seen. */
  mayApply(id: string, revision: number): boolean {
    return revision >= (this.#seen.get(id) ?? -Infinity);
  }

  /** Ports remembered (tests). */
  get size(): number {
    return this.#seen.size;
  }

  #touch(id: string, revision: number): void {
    this.#seen.delete(id);
    this.#seen.set(id, revision);
    if (this.#seen.size > this.#limit) this.#seen.delete(this.#seen.keys().next().value!);
  }
}
