/** `parseFelixStatusKey()` on the key shapes Felix writes (spec §3 K8–K11, §8.4). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { felixStatusPrefix, parseFelixStatusKey, roundTripCheckKey } from './felix-status-keys.ts';

const P = felixStatusPrefix('region-europe');

test('felixStatusPrefix() and roundTripCheckKey() build the region\'s K8–K11 paths', () => {
  assert.equal(P, '/calico/felix/v2/region-europe/host/');
  assert.equal(roundTripCheckKey('no-region'), '/calico/felix/v2/no-region/host/round-trip-check');
});

test('parseFelixStatusKey() classifies heartbeats and OpenStack endpoint status keys, and nothing else', () => {
  const cases: [string, ReturnType<typeof parseFelixStatusKey>][] = [
    [`${P}compute-1/status`, { kind: 'heartbeat', host: 'compute-1' }],
    [`${P}compute-1/last_reported_status`, undefined],
    [`${P}round-trip-check`, undefined],
    [
      `${P}compute-1/workload/openstack/openstack%2finstance-1/endpoint/5f1b2c3d-aaaa-bbbb-cccc-0123456789ab`,
      { kind: 'endpoint', host: 'compute-1', workload: 'openstack%2finstance-1', portId: '5f1b2c3d-aaaa-bbbb-cccc-0123456789ab' },
    ],
    [`${P}h/workload/openstack/w/endpoint/a%2fb%252f`, { kind: 'endpoint', host: 'h', workload: 'w', portId: 'a/b%2f' }],
    [`${P}compute-1/workload/k8s/ns%2fpod/endpoint/eth0`, undefined],
    [`${P}compute-1/workload/openstack/w/endpoint`, undefined],
    [`${P}compute-1/workload/openstack/w/endpoint/ep/extra`, undefined],
    [`${P}/status`, undefined],
    ['/calico/felix/v2/region-other/host/compute-1/status', undefined],
  ];
  for (const [key, expected] of cases) assert.deepEqual(parseFelixStatusKey(P, key), expected, key);
});
