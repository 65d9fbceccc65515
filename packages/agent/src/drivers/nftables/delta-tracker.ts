/**
 * Desired state against dataplane state for one kind of keyed object (Felix's
 * `deltatracker`): the two maps, plus the keys that differ, kept up to date on every write so
 * building a transaction costs O(changes), not O(objects).
 * @module
 */

/** Tracks desired and dataplane values per key and which keys need work. */
export class DeltaTracker<K, V> {
  readonly #desired = new Map<K, V>();
  readonly #dataplane = new Map<K, V>();
  readonly #pendingUpdates = new Set<K>();
  readonly #pendingDeletions = new Set<K>();
  readonly #equal: (a: V, b: V) => boolean;

  constructor(equal: (a: V, b: V) => boolean = Object.is) {
    this.#equal = equal;
  }

  #reconcile(key: K): void {
    const want = this.#desired.get(key);
    const have = this.#dataplane.get(key);
    const wanted = this.#desired.has(key);
    const present = this.#dataplane.has(key);
    this.#pendingUpdates.delete(key);
    this.#pendingDeletions.delete(key);
    if (wanted && (!present || !this.#equal(want as V, have as V))) this.#pendingUpdates.add(key);
    else if (!wanted && present) this.#pendingDeletions.add(key);
  }

  /** Sets the desired value of `key`. */
  setDesired(key: K, value: V): void {
    this.#desired.set(key, value);
    this.#reconcile(key);
  }

  /** Marks `key` as not wanted. */
  deleteDesired(key: K): void {
    if (!this.#desired.delete(key)) return;
    this.#reconcile(key);
  }

  getDesired(key: K): V | undefined {
    return this.#desired.get(key);
  }

  hasDesired(key: K): boolean {
    return this.#desired.has(key);
  }

  /** Records what the dataplane holds for `key` (after a write or a read-back). */
  setDataplane(key: K, value: V): void {
    this.#dataplane.set(key, value);
    this.#reconcile(key);
  }

  /** Records that the dataplane no longer holds `key`. */
  deleteDataplane(key: K): void {
    if (!this.#dataplane.delete(key)) return;
    this.#reconcile(key);
  }

  getDataplane(key: K): V | undefined {
    return this.#dataplane.get(key);
  }

  hasDataplane(key: K): boolean {
    return this.#dataplane.has(key);
  }

  /**
   * Records that every pending update and deletion is now in the dataplane (after a transaction
   * that wrote them all), without re-examining each key.
   */
  commitPending(): void {
    for (const k of this.#pendingUpdates) this.#dataplane.set(k, this.#desired.get(k) as V);
    for (const k of this.#pendingDeletions) this.#dataplane.delete(k);
    this.#pendingUpdates.clear();
    this.#pendingDeletions.clear();
  }

  /** Replaces the whole dataplane view (a read-back). */
  replaceDataplane(entries: Iterable<readonly [K, V]>): void {
    const old = [...this.#dataplane.keys()];
    this.#dataplane.clear();
    for (const [k, v] of entries) this.#dataplane.set(k, v);
    for (const k of old) this.#reconcile(k);
    for (const k of this.#dataplane.keys()) this.#reconcile(k);
    for (const k of this.#desired.keys()) this.#reconcile(k);
  }

  /** Keys whose desired value is missing from, or differs from, the dataplane. */
  get pendingUpdates(): ReadonlySet<K> {
    return this.#pendingUpdates;
  }

  /** Keys the dataplane holds but nobody wants. */
  get pendingDeletions(): ReadonlySet<K> {
    return this.#pendingDeletions;
  }

  /** True when desired and dataplane agree. */
  get inSync(): boolean {
    return this.#pendingUpdates.size === 0 && this.#pendingDeletions.size === 0;
  }

  /** True when `key` is desired and the dataplane holds the same value. */
  isProgrammed(key: K): boolean {
    return this.#desired.has(key) && !this.#pendingUpdates.has(key);
  }

  desiredEntries(): IterableIterator<[K, V]> {
    return this.#desired.entries();
  }

  dataplaneEntries(): IterableIterator<[K, V]> {
    return this.#dataplane.entries();
  }

  get desiredSize(): number {
    return this.#desired.size;
  }

  get dataplaneSize(): number {
    return this.#dataplane.size;
  }
}
