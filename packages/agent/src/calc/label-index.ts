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

interface SelectorEntry<S> {
  readonly owner: S;
  readonly matches: LabelSetMatcher;
  readonly restrictions: ReadonlyMap<string, LabelRestriction>;
  /** Where the entry is indexed: a label (with values, or any value), nowhere (never matches), or unindexed. */
  label: string | undefined;
  values: readonly string[] | undefined;
  impossible: boolean;
}

/**
 * Everything indexed under one label key, in one record so that each label of an item costs
 * one map lookup for both sides. A key has a record while it is wanted (see `want`).
 */
interface KeyEntry<I, S> {
  /** Selectors (and announcements) that need items indexed under this key. */
  wanted: number;
  /** Items carrying the key, whatever the value. */
  count: number;
  /** `count` when the selectors placed under this key were last re-placed. */
  checkpoint: number;
  /** Items by value; a number is the count of a saturated value. */
  readonly items: Map<string, Bucket<I> | number>;
  /** Number of saturated values. */
  saturated: number;
  /** Selectors placed here that need the key with any value (`has(key)`). */
  readonly anyValue: Set<SelectorEntry<S>>;
  /** Selectors placed here that need one of some values, by value. */
  readonly selectorsByValue: Map<string, Set<SelectorEntry<S>>>;
  /** Number of selectors placed here. */
  selectors: number;
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
  readonly #keys = new Map<string, KeyEntry<I, S>>();
  readonly #selectors = new Map<S, SelectorEntry<S>>();
  /** Selectors without a label every match must carry (`all()`, `a != "b"`, `!has(x)`). */
  readonly #unindexed = new Set<SelectorEntry<S>>();
  /** Scratch space for one item's key records (the index is not re-entrant). */
  #scratch: (KeyEntry<I, S> | undefined)[] = [];

  /** The thresholds are tuning knobs; tests lower them to exercise the paths they guard. */
  constructor(options: { rebalanceMinItems?: number; saturationMinItems?: number } = {}) {
    this.#rebalanceMin = options.rebalanceMinItems ?? REBALANCE_MIN_ITEMS;
    this.#saturationMin = options.saturationMinItems ?? SATURATION_MIN;
  }

  /** Number of indexed items. */
  get itemCount(): number {
    return this.#items.size;
  }

  /**
   * Indexes an item under its labels; with `onMatch`, also reports the owner of each selector
   * the item matches, in the same pass over its labels.
   */
  addItem(item: I, onMatch?: (owner: S) => void): void {
    const keys = this.#recordsFor(item.labels, onMatch);
    this.#items.add(item);
    const labels = item.labels;
    for (let i = 0; i < labels.length; i += 2) {
      const entry = keys[i >> 1];
      if (entry !== undefined) this.#indexUnder(entry, labels[i + 1]!, item);
    }
  }

  /**
   * Removes an item (its labels must be those it was added with); with `onMatch`, also reports
   * the owner of each selector the item matches.
   */
  removeItem(item: I, onMatch?: (owner: S) => void): void {
    if (!this.#items.delete(item)) return;
    const keys = this.#recordsFor(item.labels, onMatch);
    const labels = item.labels;
    for (let i = 0; i < labels.length; i += 2) {
      const entry = keys[i >> 1];
      if (entry === undefined) continue;
      const value = labels[i + 1]!;
      const items = entry.items.get(value);
      if (items === undefined) continue;
      if (typeof items === 'number') {
        if (items > 1) entry.items.set(value, items - 1);
        else {
          entry.items.delete(value);
          entry.saturated--;
        }
      } else {
        if (!bucketDelete(items, item)) continue;
        if (bucketSize(items) === 0) entry.items.delete(value);
      }
      entry.count--;
    }
  }

  /** Puts `current` where `old` is; both must carry the very same label map. */
  replaceItem(old: I, current: I): void {
    if (!this.#items.delete(old)) return;
    this.#items.add(current);
    const labels = current.labels;
    for (let i = 0; i < labels.length; i += 2) {
      const items = this.#keys.get(labels[i]!)?.items.get(labels[i + 1]!);
      if (items === undefined || typeof items === 'number') continue;
      if (Array.isArray(items)) {
        const at = items.indexOf(old);
        if (at >= 0) items[at] = current;
      } else if (items.delete(old)) items.add(current);
    }
  }

  /** Asks for items to be indexed under `key` (counted: each `want` needs one `unwant`). */
  want(key: string): void {
    let entry = this.#keys.get(key);
    if (entry !== undefined) {
      entry.wanted++;
      return;
    }
    entry = {
      wanted: 1, count: 0, checkpoint: 0, items: new Map(), saturated: 0, anyValue: new Set(), selectorsByValue: new Map(), selectors: 0,
    };
    this.#keys.set(key, entry);
    for (const item of this.#items) {
      const value = labelValue(item.labels, key);
      if (value !== undefined) this.#indexUnder(entry, value, item);
    }
  }

  /** Withdraws one `want`; the key's index is dropped with the last. */
  unwant(key: string): void {
    const entry = this.#keys.get(key);
    // Every selector placed under a key also wants it, so the last want finds it empty.
    if (entry !== undefined && --entry.wanted === 0) this.#keys.delete(key);
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
    let best: KeyEntry<I, S> | undefined;
    let bestValues: readonly string[] | undefined;
    let bestCount = this.#items.size;
    for (const [label, r] of entry.restrictions) {
      if (!r.mustBePresent) continue;
      // Wanted by this very selector, so present.
      const key = this.#keys.get(label)!;
      const values = r.mustHaveOneOfValues;
      const n = itemCount(key, values);
      if (n === 0) return;
      if (n < bestCount && !saturated(key, values)) {
        bestCount = n;
        best = key;
        bestValues = values;
      }
    }
    if (best === undefined) {
      for (const item of this.#items) if (matches(item.labels)) fn(item);
      return;
    }
    for (const value of bestValues ?? best.items.keys()) {
      const items = best.items.get(value);
      if (items !== undefined) for (const item of items as Bucket<I>) if (matches(item.labels)) fn(item);
    }
  }

  /** Calls `fn` with the owner of each selector that matches `labels`. */
  forEachSelectorMatching(labels: LabelSet, fn: (owner: S) => void): void {
    this.#recordsFor(labels, fn);
  }

  // Looks up each label's key record once, reporting matching selectors on the way (if asked):
  // the item-side and selector-side work of an update then share one lookup per label.
  #recordsFor(labels: LabelSet, onMatch: ((owner: S) => void) | undefined): (KeyEntry<I, S> | undefined)[] {
    const records = this.#scratch;
    records.length = labels.length >> 1;
    for (let i = 0; i < labels.length; i += 2) {
      const entry = this.#keys.get(labels[i]!);
      records[i >> 1] = entry;
      if (onMatch === undefined || entry === undefined || entry.selectors === 0) continue;
      for (const s of entry.anyValue) if (s.matches(labels)) onMatch(s.owner);
      const byValue = entry.selectorsByValue.get(labels[i + 1]!);
      if (byValue !== undefined) for (const s of byValue) if (s.matches(labels)) onMatch(s.owner);
    }
    if (onMatch !== undefined) for (const s of this.#unindexed) if (s.matches(labels)) onMatch(s.owner);
    return records;
  }

  #indexUnder(entry: KeyEntry<I, S>, value: string, item: I): void {
    const items = entry.items.get(value);
    if (items === undefined) entry.items.set(value, [item]);
    else if (typeof items === 'number') entry.items.set(value, items + 1);
    else {
      const grown = bucketAdd(items, item);
      const size = bucketSize(grown);
      if (size >= this.#saturationMin && size * SATURATION_SHARE >= this.#items.size) {
        entry.items.set(value, size);
        entry.saturated++;
      } else if (grown !== items) entry.items.set(value, grown);
    }
    if (++entry.count >= this.#rebalanceMin && entry.count >= 2 * entry.checkpoint) {
      entry.checkpoint = entry.count;
      this.#rebalance(entry);
    }
  }

  // Indexes the entry under the required label that costs least: every item carrying it
  // evaluates the selector once, so the cost is the items under the label plus the selectors
  // already sharing that bucket (which guides placement before any item has arrived). Ties
  // go to a value restriction (more specific), then to the lower label name.
  #place(entry: SelectorEntry<S>): void {
    let bestLabel: string | undefined;
    let best: KeyEntry<I, S> | undefined;
    let bestValues: readonly string[] | undefined;
    let bestCost = Infinity;
    for (const [label, r] of entry.restrictions) {
      if (!possible(r)) {
        entry.impossible = true;
        return;
      }
      if (!r.mustBePresent) continue;
      const key = this.#keys.get(label)!;
      const values = r.mustHaveOneOfValues;
      const cost = itemCount(key, values) + selectorCount(key, values);
      const better = cost < bestCost || (cost === bestCost && (
        (values !== undefined && bestValues === undefined) ||
        ((values === undefined) === (bestValues === undefined) && label < bestLabel!)));
      if (better) {
        bestCost = cost;
        bestLabel = label;
        best = key;
        bestValues = values;
      }
    }
    entry.label = bestLabel;
    entry.values = bestValues;
    if (best === undefined) {
      this.#unindexed.add(entry);
      return;
    }
    best.selectors++;
    if (bestValues === undefined) {
      best.anyValue.add(entry);
      return;
    }
    for (const value of bestValues) {
      let entries = best.selectorsByValue.get(value);
      if (entries === undefined) {
        entries = new Set();
        best.selectorsByValue.set(value, entries);
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
    const key = this.#keys.get(entry.label)!;
    key.selectors--;
    if (entry.values === undefined) {
      key.anyValue.delete(entry);
      return;
    }
    for (const value of entry.values) {
      const entries = key.selectorsByValue.get(value)!;
      entries.delete(entry);
      if (entries.size === 0) key.selectorsByValue.delete(value);
    }
  }

  // Items under a key have doubled: selectors placed there when it was cheap may now have a
  // cheaper label. Placement never affects results, only cost.
  #rebalance(key: KeyEntry<I, S>): void {
    if (key.selectors === 0) return;
    const entries = new Set(key.anyValue);
    for (const set of key.selectorsByValue.values()) for (const e of set) entries.add(e);
    for (const entry of entries) {
      this.#unplace(entry);
      this.#place(entry);
    }
  }
}

function itemCount<I, S>(key: KeyEntry<I, S>, values: readonly string[] | undefined): number {
  if (values === undefined) return key.count;
  let n = 0;
  for (const v of values) {
    const items = key.items.get(v);
    if (items !== undefined) n += typeof items === 'number' ? items : bucketSize(items);
  }
  return n;
}

function selectorCount<I, S>(key: KeyEntry<I, S>, values: readonly string[] | undefined): number {
  let n = key.anyValue.size;
  if (values !== undefined) for (const v of values) n += key.selectorsByValue.get(v)?.size ?? 0;
  return n;
}

// True if any of the values (any value, without a list) is saturated: no bucket to enumerate.
function saturated<I, S>(key: KeyEntry<I, S>, values: readonly string[] | undefined): boolean {
  if (key.saturated === 0) return false;
  if (values === undefined) return true;
  return values.some((v) => typeof key.items.get(v) === 'number');
}
