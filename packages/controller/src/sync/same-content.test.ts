/**
 * Unit tests of the resync's and dynamic sync's "already correct" tests: a stored value that
 * Calico reads the same as the desired one is correct (number vs text protocols, omitted empty
 * lists), and any difference a reader would see, including a label emptied or lost, is not.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeResource, encodeResource, type Resource } from '@percale/api';
import { buildSecurityGroupPolicy } from '../translate/security-group-policy.ts';
import { PORT1, fixtureContext, makeRule } from '../translate/testing/fixtures.ts';
import { buildWorkloadEndpoint } from '../translate/workload-endpoint.ts';
import { endpointMatches, policyMatches } from './same-content.ts';

/** `resource` as the datastore hands it back: decoded and re-encoded the way Calico's Go code stores it. */
function stored(resource: Resource): Resource {
  const { resource: decoded, errors } = decodeResource(structuredClone(resource), { unknownFields: 'keep' });
  assert.deepEqual(errors, []);
  return JSON.parse(encodeResource(decoded!)) as Resource;
}

const udpGroup = { id: 'SG-UDP', security_group_rules: [makeRule({ security_group_id: 'SG-UDP', protocol: '17', port_range_min: 53, port_range_max: 53 })] };

describe('policyMatches()', () => {
  it('policyMatches() accepts a protocol Neutron stored as text ("17") and the datastore returns as a number', () => {
    const desired = buildSecurityGroupPolicy(udpGroup, 'openstack') as Resource;
    const back = stored(desired);
    assert.equal((back.spec as { ingress: Array<{ protocol: unknown }> }).ingress[0]!.protocol, 17, 'fixture: the store returns the number');
    assert.equal(policyMatches(back, desired), true);
  });

  it('policyMatches() rejects a different protocol or port', () => {
    const desired = buildSecurityGroupPolicy(udpGroup, 'openstack') as Resource;
    const tcp = buildSecurityGroupPolicy({ ...udpGroup, security_group_rules: [makeRule({ security_group_id: 'SG-UDP', protocol: '6', port_range_min: 53, port_range_max: 53 })] }, 'openstack') as Resource;
    const port54 = buildSecurityGroupPolicy({ ...udpGroup, security_group_rules: [makeRule({ security_group_id: 'SG-UDP', protocol: '17', port_range_min: 54, port_range_max: 54 })] }, 'openstack') as Resource;
    assert.equal(policyMatches(stored(tcp), desired), false);
    assert.equal(policyMatches(stored(port54), desired), false);
  });

  it('policyMatches() compares the spec only (the datastore may add metadata to a policy)', () => {
    const desired = buildSecurityGroupPolicy(udpGroup, 'openstack') as Resource;
    const back = stored(desired);
    back.metadata = { ...back.metadata, annotations: { 'projectcalico.org/metadata': '{}' }, labels: { extra: 'x' } };
    assert.equal(policyMatches(back, desired), true);
  });
});

describe('endpointMatches()', () => {
  const desired = buildWorkloadEndpoint(PORT1, 'felix-host-1', fixtureContext()) as Resource;

  it('endpointMatches() accepts the endpoint after a round trip through the datastore', () => {
    assert.equal(endpointMatches(stored(desired), desired), true);
  });

  it('endpointMatches() rejects a stored endpoint that lost a label whose value is ""', () => {
    const withEmpty = structuredClone(desired);
    withEmpty.metadata.labels = { ...withEmpty.metadata.labels, 'sg-name.projectcalico.org/openstack-': '' };
    const lost = stored(desired);
    assert.equal(endpointMatches(lost, withEmpty), false);
    assert.equal(endpointMatches(stored(withEmpty), withEmpty), true);
  });

  const variants: Array<[string, (r: Resource) => void]> = [
    ['a changed label', (r) => { r.metadata.labels!['projectcalico.org/openstack-project-name'] = 'other'; }],
    ['an extra label', (r) => { r.metadata.labels!['extra'] = 'x'; }],
    ['a changed annotation', (r) => { r.metadata.annotations = { ...r.metadata.annotations, 'openstack.projectcalico.org/network-id': 'other' }; }],
    ['a changed node', (r) => { (r.spec as { node: string }).node = 'elsewhere'; }],
  ];
  for (const [note, change] of variants) {
    it(`endpointMatches() rejects ${note}`, () => {
      const s = stored(desired);
      change(s);
      assert.equal(endpointMatches(s, desired), false);
    });
  }
});
