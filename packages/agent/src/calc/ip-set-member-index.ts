/**
 * Computes the members of every active IP set (Felix's `SelectorAndNamedPortIndex`): each set's
 * selector is matched against ALL addressed items in the cluster — workload endpoints on every
 * host and in every region, host endpoints, network sets — and the matching items contribute
 * their networks (or `ip,proto:port` for named-port sets). Members are reference-counted, so an
 * address contributed twice stays until both contributors go.
 * @module
 */
import type { IPSetType } from '../messages.ts';
import type { Item, ItemListener, ItemRef } from './label-inheritance-index.ts';
import { LabelIndex } from './label-index.ts';
import { networkAddressText } from './net-text.ts';
import type { Selector } from '@percale/api';

/** What an IP set contains: the items its selector matches, optionally narrowed to a named port. */
export interface IPSetSpec {
  /** Calico's ID: `s:…` for a selector, `n:…` for a named port. */
  readonly id: string;
  readonly setType: IPSetType;
  readonly selector: Selector;
  /** For `ip-and-port` sets: the port name and the protocol it must have (`any`: whichever it has). */
  readonly namedPort?: { readonly name: string; readonly protocol: 'tcp' | 'udp' | 'sctp' | 'any' };
}

/** Receives IP set lifecycle and membership changes (the event sequencer). */
export interface IPSetListener {
  onIPSetAdded(id: string, setType: IPSetType, members: ReadonlyMap<string, unknown>): void;
  onIPSetRemoved(id: string): void;
  onIPSetMemberAdded(id: string, member: string): void;
  onIPSetMemberRemoved(id: string, member: string): void;
}

interface SetState {
  readonly spec: IPSetSpec;
  /** Member → number of items contributing it. */
  readonly members: Map<string, number>;
}

function contributes(item: Item | undefined): item is Item {
  return item !== undefined && item.nets.length > 0;
}

function sameContribution(a: Item, b: Item): boolean {
  if (a.nets !== b.nets) {
    if (a.nets.length !== b.nets.length) return false;
    for (let i = 0; i < a.nets.length; i++) if (a.nets[i] !== b.nets[i]) return false;
  }
  if (a.ports === b.ports) return true;
  if (a.ports === undefined || b.ports === undefined || a.ports.length !== b.ports.length) return false;
  return a.ports.every((p, i) => p.name === b.ports![i]!.name && p.protocol === b.ports![i]!.protocol && p.port === b.ports![i]!.port);
}

/** The IP set member node. */
export class IPSetMemberIndex implements ItemListener {
  readonly #listener: IPSetListener;
  readonly #index = new LabelIndex<Item, SetState>();
  readonly #sets = new Map<string, SetState>();

  constructor(listener: IPSetListener) {
    this.#listener = listener;
  }

  /** Number of items that can contribute members. */
  get itemCount(): number {
    return this.#index.itemCount;
  }

  /**
   * Announces label keys that selectors of sets are likely to restrict on, so items are indexed
   * under them from the start rather than rescanned when such a set appears (see `LabelIndex`).
   * Each call needs a matching `onLabelKeysUnlikely`.
   */
  onLabelKeysLikely(keys: Iterable<string>): void {
    for (const key of keys) this.#index.want(key);
  }

  /** Withdraws an announcement made with `onLabelKeysLikely`. */
  onLabelKeysUnlikely(keys: Iterable<string>): void {
    for (const key of keys) this.#index.unwant(key);
  }

  /** Starts computing a set (the rule scanner calls this once per set ID while it is used). */
  onIPSetActive(spec: IPSetSpec): void {
    if (this.#sets.has(spec.id)) return;
    const state: SetState = { spec, members: new Map() };
    this.#sets.set(spec.id, state);
    this.#index.addSelector(state, spec.selector);
    // The set is new to the sequencer, which reads its full membership at flush: fill silently.
    this.#index.forEachItemMatching(state, (item) => this.#forEachMember(state, item, (m) => {
      state.members.set(m, (state.members.get(m) ?? 0) + 1);
    }));
    this.#listener.onIPSetAdded(spec.id, spec.setType, state.members);
  }

  /** Stops computing a set. */
  onIPSetInactive(id: string): void {
    const state = this.#sets.get(id);
    if (state === undefined) return;
    this.#index.removeSelector(state);
    this.#sets.delete(id);
    this.#listener.onIPSetRemoved(id);
  }

  /** An item appeared, changed or went away. */
  onItemUpdate(_ref: ItemRef, old: Item | undefined, current: Item | undefined): void {
    if (old === current) return;
    const before = contributes(old) ? old : undefined;
    const after = contributes(current) ? current : undefined;
    if (before !== undefined && after !== undefined && before.labels === after.labels) {
      // Same labels, so the same sets: only the contributions may differ.
      if (!sameContribution(before, after)) {
        this.#index.forEachSelectorMatching(before.labels, (state) => {
          this.#forEachMember(state, before, (m) => this.#release(state, m));
          this.#forEachMember(state, after, (m) => this.#acquire(state, m));
        });
      }
      this.#index.replaceItem(before, after);
      return;
    }
    if (before !== undefined) this.#index.removeItem(before, (state) => this.#forEachMember(state, before, (m) => this.#release(state, m)));
    if (after !== undefined) this.#index.addItem(after, (state) => this.#forEachMember(state, after, (m) => this.#acquire(state, m)));
  }

  #forEachMember(state: SetState, item: Item, fn: (member: string) => void): void {
    const namedPort = state.spec.namedPort;
    if (namedPort === undefined) {
      for (const net of item.nets) fn(net);
      return;
    }
    if (item.ports === undefined) return;
    for (const port of item.ports) {
      if (port.name !== namedPort.name || (namedPort.protocol !== 'any' && namedPort.protocol !== port.protocol)) continue;
      for (const net of item.nets) fn(`${networkAddressText(net)},${port.protocol}:${port.port}`);
    }
  }

  #acquire(state: SetState, member: string): void {
    const n = state.members.get(member);
    if (n !== undefined) {
      state.members.set(member, n + 1);
      return;
    }
    state.members.set(member, 1);
    this.#listener.onIPSetMemberAdded(state.spec.id, member);
  }

  #release(state: SetState, member: string): void {
    const n = state.members.get(member);
    if (n === undefined) return;
    if (n > 1) {
      state.members.set(member, n - 1);
      return;
    }
    state.members.delete(member);
    this.#listener.onIPSetMemberRemoved(state.spec.id, member);
  }
}
