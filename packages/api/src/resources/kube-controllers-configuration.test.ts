import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateResource } from '../validation/validate-resource.ts';
import { applyCreateDefaults } from './apply-defaults.ts';
import { encodeResource } from './codec.ts';
import type { Resource } from './types.ts';

const kcc = (spec: Record<string, unknown>): Resource =>
  ({ apiVersion: 'projectcalico.org/v3', kind: 'KubeControllersConfiguration', metadata: { name: 'default' }, spec });

test('applyCreateDefaults() fills KubeControllersConfiguration defaults only inside the controllers that are present', () => {
  assert.deepEqual(applyCreateDefaults(kcc({})).spec, { healthChecks: 'Enabled' });
  assert.deepEqual(applyCreateDefaults(kcc({ controllers: { loadBalancer: {}, migration: {}, node: {} } })).spec, {
    healthChecks: 'Enabled',
    controllers: { loadBalancer: { assignIPs: 'AllServices' }, migration: { policyNameMigrator: 'Enabled' }, node: {} },
  });
});

test('encodeResource() always writes KubeControllersConfiguration controllers and status, durations in Go form', () => {
  assert.equal(encodeResource(kcc({ etcdV3CompactionPeriod: '10m' })),
    '{"kind":"KubeControllersConfiguration","apiVersion":"projectcalico.org/v3","metadata":{"name":"default","creationTimestamp":null},' +
    '"spec":{"etcdV3CompactionPeriod":"10m0s","controllers":{}},"status":{}}');
});

test('validateResource() checks host endpoint templates of the node controller', () => {
  const spec = {
    controllers: {
      node: {
        reconcilerPeriod: '5m', syncLabels: 'Enabled',
        hostEndpoint: { autoCreate: 'Enabled', templates: [{ generateName: 'gw', interfaceCIDRs: ['192.0.2.0/24'], interfacePattern: '^eth[0-9]+$', labels: { role: 'gateway' }, nodeSelector: 'has(gateway)' }] },
      },
    },
  };
  assert.deepEqual(validateResource(kcc(spec)), []);
  const bad = structuredClone(spec);
  bad.controllers.node.hostEndpoint.templates[0]!.interfacePattern = '(';
  bad.controllers.node.hostEndpoint.templates[0]!.labels = { role: 'not valid!' };
  assert.deepEqual(validateResource(kcc(bad)).map((e) => e.field), [
    'spec.controllers.node.hostEndpoint.templates[0].interfacePattern',
    'spec.controllers.node.hostEndpoint.templates[0].labels["role"]',
  ]);
});
