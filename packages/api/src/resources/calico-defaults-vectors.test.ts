// Calico's defaulting vectors (conformance/calico-vectors/defaults.json) for the policy kinds
// and Tier; infrastructure kinds' records are listed as pending until their schemas exist.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyCreateDefaults, applyReadDefaults } from './apply-defaults.ts';
import type { Resource } from './types.ts';

type Vector =
  | { test: 'policyTypes'; kind: string; spec: Record<string, unknown>; expectedTypes: string[]; note: string }
  | { test: 'tierLabel'; kind: string; spec: Record<string, unknown>; existingTierLabel: string | null; expectedTierLabel: string; expectChanged: boolean; labelKey: string; note: string }
  | { test: 'crdDefaults'; kind: string; resource: Resource; expectedAfterDefaulting: Record<string, unknown>; note: string }
  | { test: 'ippoolCidrChangeOK'; note?: string };

const file = join(import.meta.dirname, '../../../../../shared/conformance/calico-vectors/defaults.json');
const vectors = JSON.parse(readFileSync(file, 'utf8')) as Vector[];

// Records of kinds that have no schema yet (none left).
const PENDING_KINDS = new Set<string>([]);
// ippoolCidrChangeOK records are run by ip-pool-cidr.test.ts against ipPoolCidrChangeAllowed().
const TESTED_ELSEWHERE = new Set(['ippoolCidrChangeOK']);

const policy = (kind: string, spec: Record<string, unknown>, labels?: Record<string, string>): Resource =>
  ({ apiVersion: 'projectcalico.org/v3', kind, metadata: { name: 'p', ...(labels ? { labels } : {}) }, spec });

function lookup(obj: unknown, dotted: string): unknown {
  return dotted.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], obj);
}

test('applyCreateDefaults() infers policy types as Calico does', () => {
  for (const v of vectors) {
    if (v.test !== 'policyTypes') continue;
    assert.deepEqual(applyCreateDefaults(policy(v.kind, v.spec)).spec?.types, v.expectedTypes, `${v.kind}: ${v.note}`);
  }
});

test('applyCreateDefaults() sets the tier label as Calico does', () => {
  for (const v of vectors) {
    if (v.test !== 'tierLabel') continue;
    const input = policy(v.kind, v.spec, v.existingTierLabel === null ? undefined : { [v.labelKey]: v.existingTierLabel });
    const out = applyCreateDefaults(input);
    assert.equal(out.metadata.labels?.[v.labelKey], v.expectedTierLabel, `${v.kind}: ${v.note}`);
    assert.equal(input.metadata.labels?.[v.labelKey] !== v.expectedTierLabel, v.expectChanged, `${v.kind}: ${v.note}`);
  }
});

test('applyCreateDefaults() applies the CRD schema defaults of Calico\'s vectors', () => {
  let ran = 0;
  for (const v of vectors) {
    if (v.test !== 'crdDefaults' || PENDING_KINDS.has(v.kind)) continue;
    const out = applyCreateDefaults(v.resource);
    for (const [path, expected] of Object.entries(v.expectedAfterDefaulting)) {
      assert.equal(lookup(out, path), expected, `${v.kind} ${path}: ${v.note}`);
    }
    ran++;
  }
  assert.equal(ran, vectors.filter((v) => v.test === 'crdDefaults' && !PENDING_KINDS.has(v.kind)).length);
});

test('defaults.json: only pending tests and kinds are left out', () => {
  const known = new Set(['policyTypes', 'tierLabel', 'crdDefaults', ...TESTED_ELSEWHERE]);
  for (const v of vectors) assert.ok(known.has(v.test), `unhandled defaults vector ${v.test}`);
});

test('applyCreateDefaults() gives a Tier order 1000000 and action Deny, and keeps explicit ones', () => {
  const tier = (spec: Record<string, unknown>): Resource => ({ apiVersion: 'projectcalico.org/v3', kind: 'Tier', metadata: { name: 't' }, spec });
  assert.deepEqual(applyCreateDefaults(tier({})).spec, { order: 1_000_000, defaultAction: 'Deny' });
  assert.deepEqual(applyCreateDefaults(tier({ order: 5, defaultAction: 'Pass' })).spec, { order: 5, defaultAction: 'Pass' });
});

test('applyCreateDefaults() does not change its input', () => {
  const input = policy('NetworkPolicy', { egress: [{ action: 'Allow' }] });
  const copy = structuredClone(input);
  applyCreateDefaults(input);
  assert.deepEqual(input, copy);
});

test('applyReadDefaults() adds a missing tier label but keeps an existing one', () => {
  assert.equal(applyReadDefaults(policy('GlobalNetworkPolicy', { tier: 'x' })).metadata.labels?.['projectcalico.org/tier'], 'default');
  assert.equal(applyReadDefaults(policy('NetworkPolicy', {}, { 'projectcalico.org/tier': 'x' })).metadata.labels?.['projectcalico.org/tier'], 'x');
});

test('applyReadDefaults() fills Tier order and action only for list results', () => {
  const tier: Resource = { apiVersion: 'projectcalico.org/v3', kind: 'Tier', metadata: { name: 't' }, spec: {} };
  assert.deepEqual(applyReadDefaults(tier).spec, {});
  assert.deepEqual(applyReadDefaults(tier, { listing: true }).spec, { order: 1_000_000, defaultAction: 'Deny' });
});
