// Calico's validator vectors (conformance/calico-vectors/validation.json): every record of a
// kind with a schema must be accepted or rejected as Calico does, with Calico's reason text.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ValidationError, type FieldError } from '../errors.ts';
import { validateFragment, validateResource } from './validate-resource.ts';

interface Vector {
  kind: string;
  scope: 'resource' | 'fragment';
  resource: unknown;
  valid: boolean;
  error?: string;
  errorContains?: string;
  crdRulesApplied: boolean;
  note: string;
  source: string;
}

const file = join(import.meta.dirname, '../../../../../shared/conformance/calico-vectors/validation.json');
const vectors = JSON.parse(readFileSync(file, 'utf8')) as Vector[];

// Kinds and fragments whose records are not run yet (none left): every record must pass.
const PENDING = new Set<string>([]);

const passed = new Map<string, number>();
const total = new Map<string, number>();

function run(v: Vector): FieldError[] {
  return v.scope === 'resource' ? validateResource(v.resource) : validateFragment(v.kind, v.resource);
}

const byKind = new Map<string, Vector[]>();
for (const v of vectors) if (!PENDING.has(v.kind)) byKind.set(v.kind, [...(byKind.get(v.kind) ?? []), v]);

for (const [kind, records] of byKind) {
  describe(`validateResource()/validateFragment() on Calico's ${kind} vectors`, () => {
    records.forEach((v, i) => {
      test(`#${i} ${v.valid ? 'accepts' : 'rejects'}: ${v.note} (${v.source})`, () => {
        total.set(kind, (total.get(kind) ?? 0) + 1);
        const errors = run(v);
        const shown = JSON.stringify(errors);
        assert.equal(errors.length === 0, v.valid, `${v.note}: expected ${v.valid ? 'valid' : 'invalid'}, got ${shown}`);
        if (v.errorContains !== undefined) {
          assert.ok(errors.some((e) => e.reason.includes(v.errorContains!)), `${v.note}: no reason contains ${JSON.stringify(v.errorContains)}: ${shown}`);
        }
        if (v.error !== undefined) {
          // Calico names the Go struct field (`Port`); Percale names the JSON path of the same
          // value (`destination.notPorts[0]`). Everything else in the text must match exactly.
          assert.equal(errors.length, 1, shown);
          const expected = v.error.replace(/^error with field \S+/, `error with field ${errors[0]!.field}`);
          assert.equal(ValidationError.render(errors), expected);
        }
        passed.set(kind, (passed.get(kind) ?? 0) + 1);
      });
    });
  });
}

test('validation.json: every kind not pending has a schema', () => {
  for (const [kind, records] of byKind) {
    const probe = records[0]!;
    if (probe.scope === 'fragment') assert.doesNotThrow(() => validateFragment(kind, probe.resource), kind);
  }
});

after(() => {
  const lines = [...total].sort(([a], [b]) => a.localeCompare(b)).map(([kind, n]) => `  ${kind.padEnd(30)} ${passed.get(kind) ?? 0}/${n}`);
  const pending = vectors.filter((v) => PENDING.has(v.kind)).length;
  console.log(`validation.json records passed per kind (${pending} records of pending kinds not run):\n${lines.join('\n')}`);
});
