/**
 * Tests of rule reading: valid rules are read as Calico reads them, and rules with fields that
 * cannot be read fail closed by action (see `rule-converter.ts`).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parseRule, parseRules, type ParsedRule, type ParsedSide } from './rule-converter.ts';

/** A rule reduced to comparable plain data (selectors as canonical text). */
function plain(r: ParsedRule) {
  const side = (s: ParsedSide) => ({
    nets: s.nets, notNets: s.notNets, ports: s.ports, namedPorts: s.namedPorts, notPorts: s.notPorts, notNamedPorts: s.notNamedPorts,
    selector: s.selector?.toString(), notSelector: s.notSelector?.toString(),
  });
  return {
    action: r.action, neverMatches: r.neverMatches, ipVersion: r.ipVersion, protocol: r.protocol, notProtocol: r.notProtocol,
    namedPortProtocol: r.namedPortProtocol, icmp: r.icmp, notICMP: r.notICMP, source: side(r.source), destination: side(r.destination),
  };
}

const EMPTY_SIDE = { nets: [], notNets: [], ports: [], namedPorts: [], notPorts: [], notNamedPorts: [], selector: undefined, notSelector: undefined };
const BASE = {
  action: 'deny', neverMatches: false, ipVersion: undefined, protocol: undefined, notProtocol: undefined,
  namedPortProtocol: 'any', icmp: undefined, notICMP: undefined, source: EMPTY_SIDE, destination: EMPTY_SIDE,
};
const NEVER = (action: string) => ({ ...BASE, action, neverMatches: true });

describe('parseRule', () => {
  it('parseRule() reads a security-group rule as Calico does', () => {
    const r = parseRule({
      action: 'Allow', ipVersion: 4, protocol: 'TCP',
      source: { selector: 'has(sg.projectcalico.org/openstack-lb)', nets: ['10.0.0.1/8'] },
      destination: { ports: [80, '8000:8080', 'http'], notNets: ['10.9.9.9'] },
    }, 'openstack-region-one');
    assert.deepEqual(plain(r), {
      ...BASE, action: 'allow', ipVersion: 4, protocol: 6, namedPortProtocol: 'tcp',
      source: { ...EMPTY_SIDE, nets: ['10.0.0.0/8'], selector: '(projectcalico.org/namespace == "openstack-region-one" && has(sg.projectcalico.org/openstack-lb))' },
      destination: { ...EMPTY_SIDE, ports: [{ first: 80, last: 80 }, { first: 8000, last: 8080 }], namedPorts: ['http'], notNets: ['10.9.9.9/32'] },
    });
  });

  it('parseRule() infers the IP version from an ICMP protocol and keeps ICMP fields', () => {
    const r = parseRule({ action: 'Allow', protocol: 'ICMPv6', icmp: { type: 128, code: 0 }, notICMP: { type: 1 } }, '');
    assert.deepEqual([r.ipVersion, r.protocol, r.icmp, r.notICMP], [6, 58, { type: 128, code: 0 }, { type: 1 }]);
    assert.equal(parseRule({ action: 'Deny', protocol: 1 }, '').ipVersion, 4);
    assert.equal(parseRule({ action: 'Pass', protocol: '17' }, '').protocol, 17);
  });

  it('parseRule() reads Pass and Log as such when every field is readable', () => {
    assert.equal(parseRule({ action: 'Pass' }, '').action, 'pass');
    assert.equal(parseRule({ action: 'Log', source: { nets: ['10.0.0.0/8'] } }, '').action, 'log');
  });

  it('parseRule() makes a rule with a services match match nothing, whatever its action', () => {
    for (const action of ['Allow', 'Deny']) {
      assert.deepEqual(plain(parseRule({ action, destination: { services: { name: 'svc', namespace: 'ns' } } }, '')), NEVER(action.toLowerCase()));
    }
  });

  // Fail-closed table: one unreadable field per row, with the rule each action turns into.
  const unreadable: { why: string; rule: Record<string, unknown>; deny: object }[] = [
    { why: 'an unparsable source selector', rule: { source: { selector: 'has(', nets: ['10.0.0.0/8'] } },
      deny: { source: { ...EMPTY_SIDE, nets: ['10.0.0.0/8'] } } },
    { why: 'a bad CIDR among the nets', rule: { protocol: 'TCP', source: { nets: ['10.0.0.0/8', '10.0.0.300/32'] } },
      deny: { protocol: 6, namedPortProtocol: 'tcp' } },
    { why: 'a bad CIDR among the notNets', rule: { destination: { notNets: ['x'], selector: 'has(a)' } },
      deny: { destination: { ...EMPTY_SIDE, selector: '(projectcalico.org/namespace == "ns" && has(a))' } } },
    { why: 'an unknown protocol (which drops the ports that need it)', rule: { protocol: 'TCPP', destination: { ports: [22], nets: ['10.0.0.0/8'] } },
      deny: { destination: { ...EMPTY_SIDE, nets: ['10.0.0.0/8'] } } },
    { why: 'numeric ports without a port protocol', rule: { protocol: 'ICMP', destination: { ports: [22] } },
      deny: { protocol: 1, ipVersion: 4, namedPortProtocol: 'tcp' } },
    { why: 'a bad port range', rule: { protocol: 'UDP', source: { ports: ['90:80'] } },
      deny: { protocol: 17, namedPortProtocol: 'udp' } },
    { why: 'an ICMP match without an ICMP protocol', rule: { protocol: 'TCP', icmp: { type: 8 } },
      deny: { protocol: 6, namedPortProtocol: 'tcp' } },
    { why: 'an ICMP type out of range', rule: { protocol: 'ICMP', icmp: { type: 300 } },
      deny: { protocol: 1, ipVersion: 4, namedPortProtocol: 'tcp' } },
    { why: 'an IP version that is neither 4 nor 6', rule: { ipVersion: 5, source: { nets: ['10.0.0.0/8'] } },
      deny: { source: { ...EMPTY_SIDE, nets: ['10.0.0.0/8'] } } },
    { why: 'an unreadable namespaceSelector (the namespace restriction goes too)', rule: { source: { namespaceSelector: 'env ==', selector: 'has(a)' } },
      deny: { source: { ...EMPTY_SIDE, selector: 'has(a)' } } },
    { why: 'a side that is not an object', rule: { source: 'everyone', destination: { nets: ['10.0.0.0/8'] } },
      deny: { destination: { ...EMPTY_SIDE, nets: ['10.0.0.0/8'] } } },
  ];
  for (const c of unreadable) {
    it(`parseRule() fails closed on ${c.why}: Allow and Log match nothing, Deny and Pass deny more`, () => {
      assert.deepEqual(plain(parseRule({ ...c.rule, action: 'Allow' }, 'ns')), NEVER('allow'));
      assert.deepEqual(plain(parseRule({ ...c.rule, action: 'Log' }, 'ns')), NEVER('log'));
      const expected = { ...BASE, ...c.deny };
      assert.deepEqual(plain(parseRule({ ...c.rule, action: 'Deny' }, 'ns')), expected);
      assert.deepEqual(plain(parseRule({ ...c.rule, action: 'Pass' }, 'ns')), expected);
    });
  }

  it('parseRule() reads an unknown action as Deny', () => {
    assert.deepEqual(plain(parseRule({ action: 'Permit', protocol: 'TCP' }, '')), { ...BASE, protocol: 6, namedPortProtocol: 'tcp' });
    assert.deepEqual(plain(parseRule({ protocol: 'TCP' }, '')), { ...BASE, protocol: 6, namedPortProtocol: 'tcp' });
  });

  it('parseRule() reads a rule that is not an object as a Deny of everything', () => {
    for (const raw of ['junk', null, 42, []]) assert.deepEqual(plain(parseRule(raw, '')), BASE);
  });
});

describe('parseRules', () => {
  it('parseRules() reads absent rules as none and a non-list as one rule denying everything', () => {
    assert.deepEqual(parseRules(undefined, ''), []);
    assert.deepEqual(parseRules(null, ''), []);
    assert.deepEqual(parseRules({ action: 'Allow' }, '').map(plain), [BASE]);
  });
});
