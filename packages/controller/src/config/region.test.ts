import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_REGION_LENGTH, regionNamespace, regionProblem, regionString } from './region.ts';

test('regionProblem() accepts and rejects the networking-calico vectors (tests/test_common.py)', () => {
  const cases: Array<[string, boolean]> = [
    ['region1', true],
    ['europe', true],
    ['no-region', true],
    ['', true],
    ['RegionOne', false],
    ['us/east', false],
    ['my_region', false],
    ['my-region-has-a-very-long-and-extremely-interesting-name', false],
    ['-edge', false],
    ['edge-', false],
    ['a'.repeat(46), true],
    ['a'.repeat(47), false],
  ];
  for (const [region, valid] of cases) {
    assert.equal(regionProblem(region) === undefined, valid, region);
  }
  assert.equal(MAX_REGION_LENGTH, 46);
  assert.match(regionProblem('a'.repeat(47))!, /at most 46 characters/);
  assert.match(regionProblem('RegionOne')!, /DNS label/);
});

test('regionString() and regionNamespace() derive the legacy path segment and the v3 namespace', () => {
  const cases: Array<[string | undefined, string, string]> = [
    [undefined, 'no-region', 'openstack'],
    ['', 'no-region', 'openstack'],
    ['europe', 'region-europe', 'openstack-region-europe'],
    ['no-region', 'region-no-region', 'openstack-region-no-region'],
    ['asia-central', 'region-asia-central', 'openstack-region-asia-central'],
  ];
  for (const [region, rs, ns] of cases) {
    assert.equal(regionString(region), rs, String(region));
    assert.equal(regionNamespace(region), ns, String(region));
  }
});
