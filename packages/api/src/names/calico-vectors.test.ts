// Calico's WorkloadEndpoint naming vectors (conformance/calico-vectors/wep_names.json).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isValidationError } from '../errors.ts';
import {
  parseWorkloadEndpointName, workloadEndpointName, workloadEndpointNameMatches, type WorkloadEndpointIdentifiers,
} from './workload-endpoint-name.ts';

type Vector =
  | { test: 'calculateName'; allowPrefix: boolean; identifiers: WorkloadEndpointIdentifiers; expectedName: string; expectedErrorField: string | null; note: string }
  | { test: 'nameMatches'; identifiers: WorkloadEndpointIdentifiers; name: string; matches: boolean; expectedErrorField: string | null; note: string }
  | { test: 'parseName'; name: string; expectError: boolean; expectedIdentifiers: WorkloadEndpointIdentifiers; note: string };

const file = join(import.meta.dirname, '../../../../../shared/conformance/calico-vectors/wep_names.json');
const vectors = JSON.parse(readFileSync(file, 'utf8')) as Vector[];

/** Runs `fn`, returning its result or the field a ValidationError names. */
function outcome<T>(fn: () => T): { value?: T; errorField?: string } {
  try {
    return { value: fn() };
  } catch (err) {
    assert.ok(isValidationError(err), String(err));
    return { errorField: err.fields[0]!.field };
  }
}

test('workloadEndpointName() builds or rejects every Calico vector', () => {
  for (const v of vectors) {
    if (v.test !== 'calculateName') continue;
    const got = outcome(() => workloadEndpointName(v.identifiers, { allowPrefix: v.allowPrefix }));
    if (v.expectedErrorField === null) assert.equal(got.value, v.expectedName, v.note);
    else assert.equal(got.errorField, v.expectedErrorField, v.note);
  }
});

test('workloadEndpointNameMatches() agrees with every Calico vector', () => {
  for (const v of vectors) {
    if (v.test !== 'nameMatches') continue;
    const got = outcome(() => workloadEndpointNameMatches(v.identifiers, v.name));
    if (v.expectedErrorField === null) assert.equal(got.value, v.matches, v.note);
    else assert.equal(got.errorField, v.expectedErrorField, v.note);
  }
});

test('parseWorkloadEndpointName() parses or rejects every Calico vector', () => {
  const empty = { node: '', orchestrator: '', workload: '', pod: '', containerID: '', endpoint: '' };
  for (const v of vectors) {
    if (v.test !== 'parseName') continue;
    if (v.expectError) {
      assert.throws(() => parseWorkloadEndpointName(v.name), SyntaxError, v.note);
      continue;
    }
    assert.deepEqual(parseWorkloadEndpointName(v.name), { ...empty, ...v.expectedIdentifiers }, v.note);
  }
});

test('workloadEndpointName() round-trips through parseWorkloadEndpointName() for an OpenStack port', () => {
  const ids = { node: 'compute-1', orchestrator: 'openstack', workload: '8f2d-vm', endpoint: 'a1b2-port' };
  const name = workloadEndpointName(ids);
  assert.equal(name, 'compute--1-openstack-8f2d--vm-a1b2--port');
  assert.deepEqual(parseWorkloadEndpointName(name), { ...ids, pod: '', containerID: '' });
});
