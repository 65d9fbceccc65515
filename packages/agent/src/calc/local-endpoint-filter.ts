/**
 * Passes on only this host's workload endpoints (Felix's local endpoint filter): the items the
 * converter gave local data. Remote endpoints go no further than the IP set member index.
 * @module
 */
import type { Item, ItemListener, ItemRef } from './label-inheritance-index.ts';

/** The local endpoint filter node. */
export class LocalEndpointFilter implements ItemListener {
  readonly #next: ItemListener;

  constructor(next: ItemListener) {
    this.#next = next;
  }

  /** Forwards the change as seen by local endpoints: an endpoint that moves to another host is removed. */
  onItemUpdate(ref: ItemRef, old: Item | undefined, current: Item | undefined): void {
    const before = old?.local !== undefined ? old : undefined;
    const after = current?.local !== undefined ? current : undefined;
    if (before !== undefined || after !== undefined) this.#next.onItemUpdate(ref, before, after);
  }
}
