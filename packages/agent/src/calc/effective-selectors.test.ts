/**
 * Tests of Calico's effective selectors (policy-semantics §2.1, §4.1): the table of rule sides
 * in a namespaced and a global policy, policy selectors, and the fail-closed reporting of parts
 * that cannot be read.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parseSelector } from '@percale/api';
import { globalNetworkPolicySelector, networkPolicySelector, ruleSideSelectors } from './effective-selectors.ts';

const canonical = (text: string) => parseSelector(text).toString();

describe('ruleSideSelectors', () => {
  // policy-semantics §4.1 summary table, namespaced policy in `ns`.
  const cases: { side: Record<string, unknown>; ns: string; positive?: string; negative?: string }[] = [
    { side: {}, ns: 'ns' },
    { side: { nets: ['10.0.0.0/8'], ports: [80] }, ns: 'ns' },
    { side: { selector: 'x == "1"' }, ns: 'ns', positive: "(projectcalico.org/namespace == 'ns') && (x == '1')" },
    { side: { notSelector: 'x == "1"' }, ns: 'ns', positive: "(projectcalico.org/namespace == 'ns') && (!(x == '1'))" },
    { side: { namespaceSelector: 'all()' }, ns: 'ns', positive: 'has(projectcalico.org/namespace)' },
    { side: { namespaceSelector: 'all()', selector: 'has(x)' }, ns: 'ns', positive: '(has(projectcalico.org/namespace)) && (has(x))' },
    { side: { namespaceSelector: 'global()' }, ns: 'ns', positive: '!has(projectcalico.org/namespace)' },
    { side: { namespaceSelector: 'global()', selector: 'has(x)' }, ns: 'ns', positive: '(!has(projectcalico.org/namespace)) && (has(x))' },
    { side: { namespaceSelector: "env == 'prod'" }, ns: 'ns', positive: "pcns.env == 'prod'" },
    { side: { namespaceSelector: "env == 'prod'", selector: 'has(x)', notSelector: 'has(y)' }, ns: 'ns', positive: "((pcns.env == 'prod') && (has(x))) && (!(has(y)))" },
    { side: { serviceAccounts: { names: ['b', 'a'] } }, ns: 'ns', positive: "(projectcalico.org/namespace == 'ns') && (projectcalico.org/serviceaccount in {'a', 'b'})" },
    { side: { serviceAccounts: { selector: 'team == "x"', names: ['a'] }, selector: 'has(x)' }, ns: 'ns', positive: "(projectcalico.org/namespace == 'ns') && ((((pcsa.team == 'x') && (projectcalico.org/serviceaccount in {'a'}))) && (has(x)))" },
    // Global policies: no namespace restriction unless asked for.
    { side: { selector: 'has(x)' }, ns: '', positive: 'has(x)' },
    { side: { notSelector: 'has(x)' }, ns: '', negative: 'has(x)' },
    { side: { namespaceSelector: 'all()', selector: 'has(x)' }, ns: '', positive: '(has(projectcalico.org/namespace)) && (has(x))' },
  ];
  for (const c of cases) {
    it(`ruleSideSelectors() reads ${JSON.stringify(c.side)} in namespace '${c.ns}'`, () => {
      const r = ruleSideSelectors(c.side, c.ns);
      assert.deepEqual(r.unreadable, []);
      assert.equal(r.positive?.toString(), c.positive === undefined ? undefined : canonical(c.positive));
      assert.equal(r.negative?.toString(), c.negative === undefined ? undefined : canonical(c.negative));
    });
  }

  it('ruleSideSelectors() builds the text Calico hashes into the IP set ID', () => {
    // networking-calico's remote-group rule in a region namespace.
    const r = ruleSideSelectors({ selector: 'has(sg.projectcalico.org/openstack-lb)' }, 'openstack-region-one');
    assert.equal(r.positive?.toString(), '(projectcalico.org/namespace == "openstack-region-one" && has(sg.projectcalico.org/openstack-lb))');
  });

  it('ruleSideSelectors() reports unreadable fields and leaves them out', () => {
    const r = ruleSideSelectors({ selector: 'has(x', notSelector: 'has(y)' }, 'ns');
    assert.deepEqual(r.unreadable, ['selector']);
    assert.equal(r.positive?.toString(), canonical("(projectcalico.org/namespace == 'ns') && (!(has(y)))"));
  });

  it('ruleSideSelectors() drops the namespace restriction entirely when the namespaceSelector is unreadable', () => {
    const r = ruleSideSelectors({ namespaceSelector: 'env ==', selector: 'has(x)' }, 'ns');
    assert.deepEqual(r.unreadable, ['namespaceSelector']);
    assert.equal(r.positive?.toString(), 'has(x)');
  });

  it('ruleSideSelectors() reports service accounts it cannot read', () => {
    assert.deepEqual(ruleSideSelectors({ serviceAccounts: { names: ["it's"] } }, 'ns').unreadable, ['serviceAccounts']);
    assert.deepEqual(ruleSideSelectors({ serviceAccounts: 'x' }, 'ns').unreadable, ['serviceAccounts']);
    assert.deepEqual(ruleSideSelectors({ selector: 42 }, 'ns').unreadable, ['selector']);
  });
});

describe('networkPolicySelector', () => {
  it('networkPolicySelector() scopes the policy to its namespace', () => {
    assert.equal(networkPolicySelector('ns', 'has(x)', undefined)?.toString(), canonical("(has(x)) && projectcalico.org/namespace == 'ns'"));
    assert.equal(networkPolicySelector('ns', '', undefined)?.toString(), canonical("projectcalico.org/namespace == 'ns'"));
  });

  it('networkPolicySelector() appends the service-account selector with pcsa. labels and no all() rewrite', () => {
    assert.equal(networkPolicySelector('ns', 'has(x)', 'all()')?.toString(), canonical("((has(x)) && projectcalico.org/namespace == 'ns') && all()"));
    assert.equal(networkPolicySelector('ns', '', "a == 'b'")?.toString(), canonical("(projectcalico.org/namespace == 'ns') && pcsa.a == 'b'"));
  });

  it('networkPolicySelector() is undefined when a selector cannot be read', () => {
    assert.equal(networkPolicySelector('ns', 'has(', undefined), undefined);
    assert.equal(networkPolicySelector('ns', 'has(x)', '!!'), undefined);
    assert.equal(networkPolicySelector('ns', 7, undefined), undefined);
  });
});

describe('globalNetworkPolicySelector', () => {
  it('globalNetworkPolicySelector() rewrites all() in the whole text once a namespaceSelector is set', () => {
    assert.equal(globalNetworkPolicySelector('all()', 'all()', undefined)?.toString(), canonical('(has(projectcalico.org/namespace)) && has(projectcalico.org/namespace)'));
    assert.equal(globalNetworkPolicySelector('has(x)', "env == 'prod'", undefined)?.toString(), canonical("(has(x)) && pcns.env == 'prod'"));
    assert.equal(globalNetworkPolicySelector('', '', '')?.toString(), 'all()');
    assert.equal(globalNetworkPolicySelector('has(x)', '', 'all()')?.toString(), canonical('(has(x)) && has(projectcalico.org/serviceaccount)'));
  });

  it('globalNetworkPolicySelector() is undefined when the namespaceSelector cannot be read', () => {
    assert.equal(globalNetworkPolicySelector('has(x)', 'env ==', undefined), undefined);
  });
});
