import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { QosConfig } from '../config/controller-config.ts';
import { buildQosControls, qosPolicyIdForPort } from './qos-controls.ts';
import { QOS_POLICY_1, QOS_POLICY_2, ZERO_QOS } from './testing/fixtures.ts';

/** The configuration of §11.1 steps 18–19. */
const CONFIGURED: QosConfig = {
  maxIngressConnectionsPerPort: 10, maxEgressConnectionsPerPort: 20, ingressBurstBits: 31000, egressBurstBits: 41000,
  ingressMinburstBytes: 1651, egressMinburstBytes: 1761, ingressBurstPackets: 81, egressBurstPackets: 91,
};

test('buildQosControls() gives the §10.2 result for policy 1 with zero configuration (§11.1 step 17)', () => {
  assert.deepEqual(buildQosControls(QOS_POLICY_1, ZERO_QOS), { egressBandwidth: 10000000, egressBurst: 4294967296 });
});

test('buildQosControls() adds connection limits and the configured burst (§11.1 step 18)', () => {
  assert.deepEqual(buildQosControls(QOS_POLICY_1, CONFIGURED), {
    egressBandwidth: 10000000, ingressMaxConnections: 10, egressMaxConnections: 20, egressBurst: 41000,
  });
});

test('buildQosControls() writes all 14 members of policy 2 in networking-calico\'s order (§11.1 step 19)', () => {
  const qos = buildQosControls(QOS_POLICY_2, CONFIGURED);
  assert.deepEqual(Object.entries(qos), [
    ['ingressBandwidth', 1000], ['ingressPeakrate', 2000], ['egressBandwidth', 3000], ['egressPeakrate', 4000],
    ['ingressPacketRate', 5000], ['egressPacketRate', 6000], ['ingressMaxConnections', 10], ['egressMaxConnections', 20],
    ['ingressBurst', 31000], ['ingressMinburst', 1651], ['egressBurst', 41000], ['egressMinburst', 1761],
    ['ingressPacketBurst', 81], ['egressPacketBurst', 91],
  ]);
});

test('buildQosControls() clamps every value into Calico\'s range and falls back to default bursts', () => {
  const qos = buildQosControls({
    rules: [
      { type: 'bandwidth_limit', max_kbps: 10 ** 13, max_burst_kbps: 1, direction: 'ingress' },
      { type: 'packet_rate_limit', max_kpps: 100, direction: 'ingress' },
    ],
  }, { ...ZERO_QOS, maxEgressConnectionsPerPort: 10 ** 12, ingressMinburstBytes: 1 });
  assert.deepEqual(qos, {
    ingressBandwidth: 10 ** 15, ingressPeakrate: 1010, ingressPacketRate: 10000, egressMaxConnections: 4294967295,
    ingressBurst: 4294967296, ingressMinburst: 1000, ingressPacketBurst: 5,
  });
  assert.deepEqual(buildQosControls(undefined, ZERO_QOS), {});
  assert.deepEqual(buildQosControls({ rules: [{ type: 'bandwidth_limit', max_kbps: 0, max_burst_kbps: 0 }] }, ZERO_QOS), {});
});

test('qosPolicyIdForPort() prefers the port\'s policy over its network\'s (§11.1 step 20)', () => {
  assert.equal(qosPolicyIdForPort({ qos_policy_id: '2', qos_network_policy_id: '1' }), '2');
  assert.equal(qosPolicyIdForPort({ qos_policy_id: null, qos_network_policy_id: '1' }), '1');
  assert.equal(qosPolicyIdForPort({}), undefined);
});
