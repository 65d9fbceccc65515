/**
 * The two-way selector index under every matching node of the calculation graph (Felix's
 * `labelindex` with its label-name/value and label-restriction indexes): items indexed by their
 * labels, selectors indexed by their label restrictions. Matching a new selector costs the size
 * of its smallest candidate set; matching a changed item costs the selectors its labels could
 * satisfy, so work follows what an update affects, not the size of the cluster.
 * @module
 */
import type { LabelRestriction, Selector } from '@percale/api';
import { labelSetMatcher, labelValue, type LabelSet, type LabelSetMatcher } from './label-set.ts';

/** Anything with labels. Its `labels` must not change while the item is indexed. */
export interface Labeled {
  readonly labels: LabelSet;
}

// A selector is re-placed when the items under its index label have doubled since it was placed
// and reached this count: below it, evaluating the selector against every candidate is cheap.
const REBALANCE_MIN_ITEMS = 256;

// Items under one label value: an array while small, a Set once large. Most buckets hold the
// few dozen ports of one security group, where an array is several times cheaper to fill
// (and a removal's linear search stays short).
type Bucket<I> = I[] | Set<I>;
const ARRAY_LIMIT = 256;

// A value a large share of all items carry (a region's namespace) makes a useless index:
// scanning its bucket costs about as much as scanning every item. Such a value keeps only its
// count ("saturated"); selectors that have nothing narrower scan everything instead.
const SATURATION_MIN = 4096;
const SATURATION_SHARE = 4;

function bucketAdd<I>(bucket: Bucket<I>, item: I): Bucket<I> {
  if (!Array.isArray(bucket)) return bucket.add(item);
  if (bucket.length < ARRAY_LIMIT) {
    bucket.push(item);
    return bucket;
  }
  return new Set(bucket).add(item);
}

function bucketDelete<I>(bucket: Bucket<I>, item: I): boolean {
  if (!Array.isArray(bucket)) return bucket.delete(item);
  const i = bucket.indexOf(item);
  if (i < 0) return false;
  bucket[i] = bucket[bucket.length - 1]!;
  bucket.pop();
  return true;
}

function bucketSize<I>(bucket: Bucket<I>): number {
  return Array.isArray(bucket) ? bucket.length : bucket.size;
}

interface ItemsForLabel<I> {
  /** Items carrying the label, whatever the value. */
  count: number;
  /** `count` when the selectors under this label were last re-placed. */
  checkpoint: number;
  /** Items by value; a number is the count of a saturated value. */
  readonly byValue: Map<string, Bucket<I> | number>;
  /** Number of saturated values. */
  saturated: number;
}

interface SelectorEntry<S> {
  readonly owner: S;
  readonly matches: LabelSetMatcher;
  readonly restrictions: ReadonlyMap<string, LabelRestriction>;
  /** Where the entry is indexed: a label (with values, or any value), nowhere (never matches), or unindexed. */
  label: string | undefined;
  values: readonly string[] | undefined;
  impossible: boolean;
}

interface SelectorsForLabel<S> {
  /** Selectors that need the label with any value (`has(label)`). */
  readonly anyValue: Set<SelectorEntry<S>>;
  /** Selectors that need one of some values, by value. */
  readonly byValue: Map<string, Set<SelectorEntry<S>>>;
  size: number;
}

function possible(r: LabelRestriction): boolean {
  return !(r.mustBePresent && r.mustBeAbsent) && !(r.mustHaveOneOfValues !== undefined && r.mustHaveOneOfValues.length === 0);
}

/**
 * Items of type `I` and selectors owned by values of type `S`, each findable from the other.
 * Items are indexed only under the label keys some selector restricts on ("wanted" keys):
 * most endpoint labels (project names, network names, …) never appear in a selector, and not
 * indexing them saves two thirds of the index. A key that becomes wanted while items exist
 * costs one scan of the items; `want()` lets callers announce keys ahead of time.
 * Callbacks run during iteration and must not modify the index.
 */
export class LabelIndex<I extends Labeled, S> {
  readonly #rebalanceMin: number;
  readonly #saturationMin: number;
  readonly #items = new Set<I>();
  /** Label key → number of selectors (and announcements) that need items indexed under it. */
  readonly #wanted = new Map<string, number>();
  readonly #itemsByLabel = new Map<string, ItemsForLabel<I>>();
  readonly #selectors = new Map<S, SelectorEntry<S>>();
  readonly #selectorsByLabel = new Map<string, SelectorsForLabel<S>>();
  /** Selectors without a label every match must carry (`all()`, `a != "b"`, `!has(x)`). */
  readonly #unindexed = new Set<SelectorEntry<S>>();

  /** The thresholds are tuning knobs; tests lower them to exercise the paths they guard. */
  constructor(options: { rebalanceMinItems?: number; saturationMinItems?: number } = {}) {
    this.#rebalanceMin = options.rebalanceMinItems ?? REBALANCE_MIN_ITEMS;
    this.#saturationMin = options.saturationMinItems ?? SATURATION_MIN;
  }

  /** Number of indexed items. */
  get itemCount(): number {
    return this.#items.size;
  }

  /** Indexes an item under its labels. */
  addItem(item: I): void {
    this.#items.add(item);
    const labels = item.labels;
    for (let i = 0; i < labels.length; i += 2) {
      const key = labels[i]!;
      if (this.#wanted.has(key)) this.#indexUnder(key, labels[i + 1]!, item);
    }
  }

  /** Asks for items to be indexed under `key` (counted: each `want` needs one `unwant`). */
  want(key: string): void {
    const n = this.#wanted.get(key) ?? 0;
    this.#wanted.set(key, n + 1);
    if (n > 0 || this.#items.size === 0) return;
    for (const item of this.#items) {
      const value = labelValue(item.labels, key);
      if (value !== undefined) this.#indexUnder(key, value, item);
    }
  }

  /** Withdraws one `want`; the key's index is dropped with the last. */
  unwant(key: string): void {
    const n = this.#wanted.get(key);
    if (n === undefined) return;
    if (n > 1) this.#wanted.set(key, n - 1);
    else {
      this.#wanted.delete(key);
      this.#itemsByLabel.delete(key);
    }
  }

  #indexUnder(key: string, value: string, item: I): void {
    let forLabel = this.#itemsByLabel.get(key);
    if (forLabel === undefined) {
      forLabel = { count: 0, checkpoint: 0, byValue: new Map(), saturated: 0 };
      this.#itemsByLabel.set(key, forLabel);
    }
    const items = forLabel.byValue.get(value);
    if (items === undefined) forLabel.byValue.set(value, [item]);
    else if (typeof items === 'number') forLabel.byValue.set(value, items + 1);
    else {
      const grown = bucketAdd(items, item);
      const size = bucketSize(grown);
      if (size >= this.#saturationMin && size * SATURATION_SHARE >= this.#items.size) {
        forLabel.byValue.set(value, size);
        forLabel.saturated++;
      } else if (grown !== items) forLabel.byValue.set(value, grown);
    }
    if (++forLabel.count >= this.#rebalanceMin && forLabel.count >= 2 * forLabel.checkpoint) {
      forLabel.checkpoint = forLabel.count;
      this.#rebalance(key);
    }
  }

  /** Removes an item; its labels must be those it was added with. */
  removeItem(item: I): void {
    if (!this.#items.delete(item)) return;
    const labels = item.labels;
    for (let i = 0; i < labels.length; i += 2) {
      const forLabel = this.#itemsByLabel.get(labels[i]!);
      if (forLabel === undefined) continue;
      const value = labels[i + 1]!;
      const items = forLabel.byValue.get(value);
      if (items === undefined) continue;
      if (typeof items === 'number') {
        if (items > 1) forLabel.byValue.set(value, items - 1);
        else {
          forLabel.byValue.delete(value);
          forLabel.saturated--;
        }
      } else {
        if (!bucketDelete(items, item)) continue;
        if (bucketSize(items) === 0) forLabel.byValue.delete(value);
      }
      if (--forLabel.count === 0) this.#itemsByLabel.delete(labels[i]!);
    }
  }

  /** Puts `current` where `old` is; both must carry the very same label map. */
  replaceItem(old: I, current: I): void {
    if (!this.#items.delete(old)) return;
    this.#items.add(current);
    const labels = current.labels;
    for (let i = 0; i < labels.length; i += 2) {
      const items = this.#itemsByLabel.get(labels[i]!)?.byValue.get(labels[i + 1]!);
      if (items === undefined || typeof items === 'number') continue;
      if (Array.isArray(items)) {
        const at = items.indexOf(old);
        if (at >= 0) items[at] = current;
      } else if (items.delete(old)) items.add(current);
    }
  }

  /** Indexes `selector` for `owner`, replacing any selector the owner had. */
  addSelector(owner: S, selector: Selector): void {
    this.removeSelector(owner);
    const entry: SelectorEntry<S> = {
      owner,
      matches: labelSetMatcher(selector),
      restrictions: selector.labelRestrictions(),
      label: undefined,
      values: undefined,
      impossible: false,
    };
    this.#selectors.set(owner, entry);
    for (const [key, r] of entry.restrictions) if (r.mustBePresent) this.want(key);
    this.#place(entry);
  }

  /** Forgets the owner's selector. */
  removeSelector(owner: S): void {
    const entry = this.#selectors.get(owner);
    if (entry === undefined) return;
    this.#selectors.delete(owner);
    this.#unplace(entry);
    for (const [key, r] of entry.restrictions) if (r.mustBePresent) this.unwant(key);
  }

  /** Calls `fn` for each item the owner's selector matches. */
  forEachItemMatching(owner: S, fn: (item: I) => void): void {
    const entry = this.#selectors.get(owner);
    if (entry === undefined || entry.impossible) return;
    const matches = entry.matches;
    // Scan the smallest candidate set any restriction allows (a saturated one means all items).
    let bestLabel: string | undefined;
    let bestValues: readonly string[] | undefined;
    let best = this.#items.size;
    for (const [label, r] of entry.restrictions) {
      if (!r.mustBePresent) continue;
      const values = r.mustHaveOneOfValues;
      const n = this.#itemCount(label, values);
      if (n === 0) return;
      if (n < best && !this.#saturated(label, values)) {
        best = n;
        bestLabel = label;
        bestValues = values;
      }
    }
    if (bestLabel === undefined) {
      for (const item of this.#items) if (matches(item.labels)) fn(item);
      return;
    }
    const forLabel = this.#itemsByLabel.get(bestLabel)!;
    for (const value of bestValues ?? forLabel.byValue.keys()) {
      const items = forLabel.byValue.get(value);
      if (items !== undefined) for (const item of items as Bucket<I>) if (matches(item.labels)) fn(item);
    }
  }

  // True if any of the values (any value, without a list) is saturated: no enumerable bucket.
  #saturated(label: string, values: readonly string[] | undefined): boolean {
    const forLabel = this.#itemsByLabel.get(label);
    if (forLabel === undefined || forLabel.saturated === 0) return false;
    if (values === undefined) return true;
    return values.some((v) => typeof forLabel.byValue.get(v) === 'number');
  }

  /** Calls `fn` with the owner of each selector that matches `labels`. */
  forEachSelectorMatching(labels: LabelSet, fn: (owner: S) => void): void {
    if (this.#selectorsByLabel.size !== 0) {
      for (let i = 0; i < labels.length; i += 2) {
        const forLabel = this.#selectorsByLabel.get(labels[i]!);
        if (forLabel === undefined) continue;
        for (const entry of forLabel.anyValue) if (entry.matches(labels)) fn(entry.owner);
        const byValue = forLabel.byValue.get(labels[i + 1]!);
        if (byValue !== undefined) for (const entry of byValue) if (entry.matches(labels)) fn(entry.owner);
      }
    }
    for (const entry of this.#unindexed) if (entry.matches(labels)) fn(entry.owner);
  }

  #itemCount(label: string, values: readonly string[] | undefined): number {
    const forLabel = this.#itemsByLabel.get(label);
    if (forLabel === undefined) return 0;
    if (values === undefined) return forLabel.count;
    let n = 0;
    for (const v of values) {
      const items = forLabel.byValue.get(v);
      if (items !== undefined) n += typeof items === 'number' ? items : bucketSize(items);
    }
    return n;
  }

  #selectorCount(label: string, values: readonly string[] | undefined): number {
    const forLabel = this.#selectorsByLabel.get(label);
    if (forLabel === undefined) return 0;
    let n = forLabel.anyValue.size;
    if (values !== undefined) for (const v of values) n += forLabel.byValue.get(v)?.size ?? 0;
    return n;
  }

  // Indexes the entry under the required label that costs least: every item carrying it
  // evaluates the selector once, so the cost is the items under the label plus the selectors
  // already sharing that bucket (which guides placement before any item has arrived). Ties
  // go to a value restriction (more specific), then to the lower label name.
  #place(entry: SelectorEntry<S>): void {
    let bestLabel: string | undefined;
    let bestValues: readonly string[] | undefined;
    let bestCost = Infinity;
    for (const [label, r] of entry.restrictions) {
      if (!possible(r)) {
        entry.impossible = true;
        return;
      }
      if (!r.mustBePresent) continue;
      const values = r.mustHaveOneOfValues;
      const cost = this.#itemCount(label, values) + this.#selectorCount(label, values);
      const better = cost < bestCost || (cost === bestCost && (
        (values !== undefined && bestValues === undefined) ||
        ((values === undefined) === (bestValues === undefined) && label < bestLabel!)));
      if (better) {
        bestCost = cost;
        bestLabel = label;
        bestValues = values;
      }
    }
    entry.label = bestLabel;
    entry.values = bestValues;
    if (bestLabel === undefined) {
      this.#unindexed.add(entry);
      return;
    }
    let forLabel = this.#selectorsByLabel.get(bestLabel);
    if (forLabel === undefined) {
      forLabel = { anyValue: new Set(), byValue: new Map(), size: 0 };
      this.#selectorsByLabel.set(bestLabel, forLabel);
    }
    forLabel.size++;
    if (bestValues === undefined) {
      forLabel.anyValue.add(entry);
      return;
    }
    for (const value of bestValues) {
      let entries = forLabel.byValue.get(value);
      if (entries === undefined) {
        entries = new Set();
        forLabel.byValue.set(value, entries);
      }
      entries.add(entry);
    }
  }

  #unplace(entry: SelectorEntry<S>): void {
    if (entry.impossible) return;
    if (entry.label === undefined) {
      this.#unindexed.delete(entry);
      return;
    }
    const forLabel = this.#selectorsByLabel.get(entry.label)!;
    if (entry.values === undefined) forLabel.anyValue.delete(entry);
    else {
      for (const value of entry.values) {
        const entries = forLabel.byValue.get(value)!;
        entries.delete(entry);
        if (entries.size === 0) forLabel.byValue.delete(value);
      }
    }
    if (--forLabel.size === 0) this.#selectorsByLabel.delete(entry.label);
  }

  // Items under `label` have doubled: selectors placed there when it was cheap may now have a
  // cheaper label. Placement never affects results, only cost.
  #rebalance(label: string): void {
    const forLabel = this.#selectorsByLabel.get(label);
    if (forLabel === undefined) return;
    const entries = new Set(forLabel.anyValue);
    for (const set of forLabel.byValue.values()) for (const e of set) entries.add(e);
    for (const entry of entries) {
      this.#unplace(entry);
      this.#place(entry);
    }
  }
}
