import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sanitizeLabelValue } from './sanitize-label-value.ts';

test('sanitizeLabelValue() gives networking-calico\'s results for every vector of spec §4.6', () => {
  const cases: Array<[string, number, string]> = [
    ['simple', 63, 'simple'],
    ['/calico/v1/policy/profile/prof1/rules', 100, 'calico_v1_policy_profile_prof1_rules'],
    ['/calico/v1/policy/profile/prof1/rules', 10, 'calico_v1'],
    ["Dan's Project", 63, 'Dan_s_Project'],
    ["Dan's Project", 10, 'Dan_s_Proj'],
    ['_-+.934abc%_-', 63, '934abc'],
    ['My default SG', 27, 'My_default_SG'],
    ['pname+jane3', 63, 'pname_jane3'],
    ['web servers (prod)', 63, 'web_servers__prod'],
    ['---', 63, ''],
    ['Ünïcode net', 63, 'n_code_net'],
  ];
  for (const [name, max, expected] of cases) assert.equal(sanitizeLabelValue(name, max), expected, `${name} (max ${max})`);
});

test('sanitizeLabelValue() counts code points, not UTF-16 units, when truncating', () => {
  // Each emoji is one Python character: 'ab' + 2 emoji + 'cd' cut at 5 keeps 'c'.
  assert.equal(sanitizeLabelValue('ab😀😀cd', 5), 'ab__c');
  assert.equal(sanitizeLabelValue('😀x', 1), '');
  assert.equal(sanitizeLabelValue('a'.repeat(70), 63), 'a'.repeat(63));
  assert.equal(sanitizeLabelValue('', 63), '');
});
