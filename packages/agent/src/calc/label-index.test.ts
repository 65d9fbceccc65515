/**
 * Property tests of the label index against brute force: after any sequence of item and
 * selector additions and removals, announcements, and enough items under one label to
 * re-place selectors, both lookups return exactly the matches a full evaluation finds, each
 * once.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import fc from 'fast-check';

import { parseSelector, type Selector } from '@percale/api';
import { LabelIndex } from './label-index.ts';
import { labelSetMatcher, readLabelSet, type LabelSet } from './label-set.ts';
import { LABEL_NAMES, labelsArb, selectorArb } from './testing/arbitraries.ts';

interface TestItem {
  readonly id: number;
  readonly labels: LabelSet;
}

type Op =
  | { op: 'addItem'; labels: Record<string, string> }
  | { op: 'bulk'; labels: Record<string, string>; count: number }
  | { op: 'removeItem'; pick: number }
  | { op: 'addSelector'; owner: number; text: string }
  | { op: 'removeSelector'; owner: number }
  | { op: 'want' | 'unwant'; key: string };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: labelsArb.map((labels) => ({ op: 'addItem' as const, labels })) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('bulk' as const), labels: labelsArb, count: fc.integer({ min: 200, max: 600 }) }) },
  { weight: 2, arbitrary: fc.nat().map((pick) => ({ op: 'removeItem' as const, pick })) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('addSelector' as const), owner: fc.nat({ max: 7 }), text: selectorArb }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('removeSelector' as const), owner: fc.nat({ max: 7 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constantFrom('want' as const, 'unwant' as const), key: fc.constantFrom(...LABEL_NAMES) }) },
);

function matchingOwners(selectors: Map<number, Selector>, labels: LabelSet): number[] {
  return [...selectors].filter(([, s]) => labelSetMatcher(s)(labels)).map(([o]) => o).sort();
}

function check(index: LabelIndex<TestItem, number>, items: Map<number, TestItem>, selectors: Map<number, Selector>, probes: LabelSet[]): void {
  for (const [owner, selector] of selectors) {
    const matches = labelSetMatcher(selector);
    const expected = [...items.values()].filter((i) => matches(i.labels)).map((i) => i.id).sort((a, b) => a - b);
    const found: number[] = [];
    index.forEachItemMatching(owner, (i) => found.push(i.id));
    assert.deepEqual(found.sort((a, b) => a - b), expected, `items matching ${selector.toString()}`);
  }
  for (const labels of [...probes, ...[...items.values()].slice(0, 20).map((i) => i.labels)]) {
    const found: number[] = [];
    index.forEachSelectorMatching(labels, (o) => found.push(o));
    assert.deepEqual(found.sort(), matchingOwners(selectors, labels), `selectors matching ${JSON.stringify(labels)}`);
  }
}

describe('LabelIndex', () => {
  it('LabelIndex lookups agree with brute force after any sequence of changes', () => {
    fc.assert(fc.property(fc.array(opArb, { maxLength: 80 }), fc.array(labelsArb, { maxLength: 5 }), fc.boolean(), (ops, probeMaps, lowThresholds) => {
      // Low thresholds make re-placement and saturation happen at test sizes.
      const index = new LabelIndex<TestItem, number>(lowThresholds ? { rebalanceMinItems: 4, saturationMinItems: 8 } : {});
      const items = new Map<number, TestItem>();
      const selectors = new Map<number, Selector>();
      const wants = new Map<string, number>();
      let next = 0;
      const probes = probeMaps.map((m) => readLabelSet(m)!);
      for (const op of ops) {
        switch (op.op) {
          case 'addItem':
          case 'bulk':
            for (let n = op.op === 'bulk' ? op.count : 1; n > 0; n--) {
              const item: TestItem = { id: next++, labels: readLabelSet(op.labels)! };
              items.set(item.id, item);
              const reported: number[] = [];
              index.addItem(item, (o) => reported.push(o));
              if (n === 1) assert.deepEqual(reported.sort(), matchingOwners(selectors, item.labels), 'selectors reported by addItem');
            }
            break;
          case 'removeItem': {
            const ids = [...items.keys()];
            if (ids.length === 0) break;
            const item = items.get(ids[op.pick % ids.length]!)!;
            items.delete(item.id);
            const reported: number[] = [];
            index.removeItem(item, (o) => reported.push(o));
            assert.deepEqual(reported.sort(), matchingOwners(selectors, item.labels), 'selectors reported by removeItem');
            break;
          }
          case 'addSelector': {
            const selector = parseSelector(op.text);
            selectors.set(op.owner, selector);
            index.addSelector(op.owner, selector);
            break;
          }
          case 'removeSelector':
            selectors.delete(op.owner);
            index.removeSelector(op.owner);
            break;
          case 'want':
            wants.set(op.key, (wants.get(op.key) ?? 0) + 1);
            index.want(op.key);
            break;
          case 'unwant':
            if (!wants.get(op.key)) break;
            wants.set(op.key, wants.get(op.key)! - 1);
            index.unwant(op.key);
            break;
        }
      }
      assert.equal(index.itemCount, items.size);
      check(index, items, selectors, probes);
    }), { numRuns: 1000 });
  });

  it('LabelIndex.replaceItem() moves an item with identical labels to a new object', () => {
    const index = new LabelIndex<TestItem, string>();
    index.addSelector('s', parseSelector("has(a) && b == 'v'"));
    const labels = readLabelSet({ a: '', b: 'v' })!;
    const before = { id: 1, labels };
    const after = { id: 2, labels };
    index.addItem(before);
    index.replaceItem(before, after);
    const found: number[] = [];
    index.forEachItemMatching('s', (i) => found.push(i.id));
    assert.deepEqual(found, [2]);
  });

  it('LabelIndex finds nothing for a selector that cannot match', () => {
    const index = new LabelIndex<TestItem, string>();
    index.addItem({ id: 1, labels: readLabelSet({ a: 'x' })! });
    index.addSelector('s', parseSelector("a == 'x' && !has(a)"));
    let n = 0;
    index.forEachItemMatching('s', () => n++);
    index.forEachSelectorMatching(['a', 'x'], () => n++);
    assert.equal(n, 0);
  });
});
