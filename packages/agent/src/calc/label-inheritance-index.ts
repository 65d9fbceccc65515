/**
 * Resolves every addressed resource (workload and host endpoints, network sets) to an item with
 * its effective labels: its own labels, then for each label it lacks the value from the first of
 * its profiles that defines it (policy-semantics §1.1; Felix's inherit index). When a profile's
 * `labelsToApply` change, only the items inheriting from it are re-emitted. Downstream nodes
 * receive immutable items as (old, new) pairs.
 * @module
 */
import type { Labels } from '@percale/api';
import type { Dispatcher } from './dispatcher.ts';
import {
  convertGlobalNetworkSet, convertHostEndpoint, convertNetworkSet, convertWorkloadEndpoint,
  type EndpointSpec, type LocalEndpointData, type NamedPort,
} from './endpoint-converter.ts';
import type { Labeled } from './label-index.ts';
import { EMPTY_LABEL_SET, mergeLabelSets, readLabelSet, sameLabelSets, type LabelSet } from './label-set.ts';
import type { Update } from './update.ts';

/** An addressed resource as the matching nodes see it. Never mutated: updates make a new item. */
export interface Item extends Labeled {
  /** Effective labels (own, then inherited). */
  readonly labels: LabelSet;
  readonly nets: readonly string[];
  readonly ports: readonly NamedPort[] | undefined;
  readonly local: LocalEndpointData | undefined;
}

/** Which resource an item is. */
export type ItemRef = Pick<Update, 'kind' | 'namespace' | 'name' | 'key'>;

/** Receives item changes; `old`/`current` undefined mean absent before/after. */
export interface ItemListener {
  onItemUpdate(ref: ItemRef, old: Item | undefined, current: Item | undefined): void;
}

interface Inheriting {
  readonly ref: ItemRef;
  readonly own: LabelSet;
  readonly parents: readonly string[];
}

/**
 * Items by kind, namespace and name. Nested maps keep the name strings the datastore handed
 * over as keys: a composite `kind/namespace/name` key would copy ~200 characters per endpoint.
 */
class ItemTable {
  readonly #byKind = new Map<string, Map<string, Map<string, Item>>>();

  get(ref: ItemRef): Item | undefined {
    return this.#byKind.get(ref.kind)?.get(ref.namespace)?.get(ref.name);
  }

  set(ref: ItemRef, item: Item): void {
    let byNamespace = this.#byKind.get(ref.kind);
    if (byNamespace === undefined) {
      byNamespace = new Map();
      this.#byKind.set(ref.kind, byNamespace);
    }
    let byName = byNamespace.get(ref.namespace);
    if (byName === undefined) {
      byName = new Map();
      byNamespace.set(ref.namespace, byName);
    }
    byName.set(ref.name, item);
  }

  delete(ref: ItemRef): void {
    const byNamespace = this.#byKind.get(ref.kind);
    const byName = byNamespace?.get(ref.namespace);
    if (byName === undefined || !byName.delete(ref.name) || byName.size > 0) return;
    byNamespace!.delete(ref.namespace);
  }
}

/** The label-inheritance node. */
export class LabelInheritanceIndex {
  readonly #hostname: string;
  readonly #listeners: readonly ItemListener[];
  readonly #items = new ItemTable();
  /** Own labels and parents of the items that have parents (by `kind/key`; the others need no recomputation). */
  readonly #inheriting = new Map<string, Inheriting>();
  readonly #profileLabels = new Map<string, LabelSet>();
  /** Profile name → keys of the items that list it. */
  readonly #children = new Map<string, Set<string>>();
  #rejected = 0;

  constructor(hostname: string, listeners: readonly ItemListener[]) {
    this.#hostname = hostname;
    this.#listeners = listeners;
  }

  /** Resources treated as absent because their labels are invalid. */
  get rejected(): number {
    return this.#rejected;
  }

  /** Takes the addressed kinds and Profiles (for their labels). */
  registerWith(dispatcher: Dispatcher): void {
    for (const kind of ['WorkloadEndpoint', 'HostEndpoint', 'NetworkSet', 'GlobalNetworkSet', 'Profile']) {
      dispatcher.register(kind, (update) => this.onUpdate(update));
    }
  }

  /** Converts and applies one update. */
  onUpdate(update: Update): void {
    const resource = update.resource;
    switch (update.kind) {
      case 'WorkloadEndpoint':
        this.onEndpointUpdate(update, resource && convertWorkloadEndpoint(resource, this.#hostname));
        break;
      case 'HostEndpoint':
        this.onEndpointUpdate(update, resource && convertHostEndpoint(resource));
        break;
      case 'NetworkSet':
        this.onEndpointUpdate(update, resource && convertNetworkSet(resource));
        break;
      case 'GlobalNetworkSet':
        this.onEndpointUpdate(update, resource && convertGlobalNetworkSet(resource));
        break;
      case 'Profile':
        this.onProfileLabelsUpdate(update.name, (resource?.spec as { labelsToApply?: Labels } | undefined)?.labelsToApply);
        break;
    }
  }

  /** Sets or clears the item for `ref`. */
  onEndpointUpdate(ref: ItemRef, spec: EndpointSpec | undefined): void {
    const old = this.#items.get(ref);
    const inhKey = `${ref.kind}/${ref.key}`;
    const before = old === undefined || this.#inheriting.size === 0 ? undefined : this.#inheriting.get(inhKey);
    if (spec === undefined) {
      if (old === undefined) return;
      this.#items.delete(ref);
      if (before !== undefined) {
        for (const parent of before.parents) this.#unlink(parent, inhKey);
        this.#inheriting.delete(inhKey);
      }
      this.#emit(ref, old, undefined);
      return;
    }
    const own = readLabelSet(spec.ownLabels, spec.workloadLabels, spec.serviceAccount);
    if (own === undefined) {
      // Invalid labels make the resource absent, like any other invalid field.
      this.#rejected++;
      this.onEndpointUpdate(ref, undefined);
      return;
    }
    let labels = own;
    if (spec.parents.length > 0) {
      // A slim copy: `ref` may be a whole update, resource included.
      const slim: ItemRef = { kind: ref.kind, namespace: ref.namespace, name: ref.name, key: ref.key };
      this.#inheriting.set(inhKey, { ref: slim, own, parents: spec.parents });
      for (const parent of spec.parents) this.#link(parent, inhKey);
      labels = this.#inherit(own, spec.parents);
    } else if (before !== undefined) {
      this.#inheriting.delete(inhKey);
    }
    if (before !== undefined) {
      for (const parent of before.parents) if (!spec.parents.includes(parent)) this.#unlink(parent, inhKey);
    }
    this.#replace(ref, old, { labels, nets: spec.nets, ports: spec.ports, local: spec.local });
  }

  /** Sets or clears a profile's `labelsToApply`, re-resolving the items that inherit from it. */
  onProfileLabelsUpdate(name: string, labels: unknown): void {
    const before = this.#profileLabels.get(name);
    // The filter has validated Profiles; an unreadable map counts as none.
    const after = readLabelSet(labels) ?? EMPTY_LABEL_SET;
    if (before !== undefined && sameLabelSets(before, after)) return;
    if (after.length === 0) this.#profileLabels.delete(name);
    else this.#profileLabels.set(name, after);
    for (const key of [...(this.#children.get(name) ?? [])]) {
      const inh = this.#inheriting.get(key)!;
      const old = this.#items.get(inh.ref)!;
      this.#replace(inh.ref, old, { ...old, labels: this.#inherit(inh.own, inh.parents) });
    }
  }

  // Effective labels of an inheriting item.
  #inherit(own: LabelSet, parents: readonly string[]): LabelSet {
    const sets: LabelSet[] = [];
    for (const parent of parents) {
      const set = this.#profileLabels.get(parent);
      if (set !== undefined) sets.push(set);
    }
    return mergeLabelSets(own, sets);
  }

  // Stores and emits `item`. When the labels equal the old item's, the old label set is kept,
  // so downstream indexes can skip re-indexing by comparing identities.
  #replace(ref: ItemRef, old: Item | undefined, item: Item): void {
    let current = item;
    if (old !== undefined && sameLabelSets(old.labels, item.labels)) {
      if (old.nets === item.nets && old.ports === item.ports && old.local === item.local) return;
      current = { ...item, labels: old.labels };
    }
    this.#items.set(ref, current);
    this.#emit(ref, old, current);
  }

  #link(parent: string, key: string): void {
    let children = this.#children.get(parent);
    if (children === undefined) {
      children = new Set();
      this.#children.set(parent, children);
    }
    children.add(key);
  }

  #unlink(parent: string, key: string): void {
    const children = this.#children.get(parent);
    if (children !== undefined && children.delete(key) && children.size === 0) this.#children.delete(parent);
  }

  #emit(ref: ItemRef, old: Item | undefined, current: Item | undefined): void {
    for (const listener of this.#listeners) listener.onItemUpdate(ref, old, current);
  }
}
