import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { bgpFilterFunctionName, renderBgpFilterFunctions, ruleCondition } from './bgp-filter-functions.ts';
import { bgpFilter } from './testing/bgp-fixtures.ts';

describe('bgpFilterFunctionName()', () => {
  test('bgpFilterFunctionName() quotes Calico\'s function name', () => {
    assert.equal(bgpFilterFunctionName('no-private', 'export', 4), "'bgp_no-private_exportFilterV4'");
    assert.equal(bgpFilterFunctionName('x.y', 'import', 6), "'bgp_x.y_importFilterV6'");
  });

  test('bgpFilterFunctionName() cuts long names to 64 characters with a hash that keeps them apart', () => {
    const a = bgpFilterFunctionName(`${'a'.repeat(60)}-one`, 'import', 4);
    const b = bgpFilterFunctionName(`${'a'.repeat(60)}-two`, 'import', 4);
    assert.equal(a.length, 64 + 2);
    assert.equal(b.length, 64 + 2);
    assert.notEqual(a, b);
    assert.match(a, /^'bgp_a+_[0-9A-F]{10}_importFilterV4'$/);
  });
});

describe('ruleCondition()', () => {
  const cases: { rule: Record<string, unknown>; family?: 4 | 6; want: string | undefined }[] = [
    { rule: { cidr: '10.65.0.0/16', matchOperator: 'In', action: 'Reject' }, want: '(net ~ 10.65.0.0/16)' },
    { rule: { cidr: '10.65.0.0/16', matchOperator: 'NotIn', action: 'Reject' }, want: '(net !~ 10.65.0.0/16)' },
    { rule: { cidr: '10.65.0.0/16', matchOperator: 'Equal', action: 'Accept' }, want: '(net = 10.65.0.0/16)' },
    { rule: { cidr: '10.65.0.0/16', matchOperator: 'NotEqual', action: 'Accept' }, want: '(net != 10.65.0.0/16)' },
    // Bounds are clamped to the CIDR's own length and to the family's maximum.
    { rule: { cidr: '10.65.0.0/16', matchOperator: 'In', prefixLength: { min: 8, max: 40 }, action: 'Accept' }, want: '(net ~ [ 10.65.0.0/16{16,32} ])' },
    { rule: { cidr: '10.65.0.0/16', matchOperator: 'In', prefixLength: { min: 24 }, action: 'Accept' }, want: '(net ~ [ 10.65.0.0/16{24,32} ])' },
    { rule: { cidr: 'fd00:65::/48', matchOperator: 'In', prefixLength: { max: 64 }, action: 'Accept' }, family: 6, want: '(net ~ [ fd00:65::/48{48,64} ])' },
    // A maximum below the CIDR's length passes Calico's validation and is rendered as Calico
    // renders it; BIRD then refuses the file ("Invalid prefix pattern range"), which the daemon reports.
    { rule: { cidr: '203.0.113.0/24', matchOperator: 'In', prefixLength: { max: 16 }, action: 'Accept' }, want: '(net ~ [ 203.0.113.0/24{24,16} ])' },
    { rule: { source: 'RemotePeers', action: 'Reject' }, want: '((defined(source)) && (source ~ [ RTS_BGP ]))' },
    { rule: { interface: 'eth*', action: 'Reject' }, want: '((defined(ifname)) && (ifname ~ "eth*"))' },
    { rule: { peerType: 'eBGP', action: 'Reject' }, want: '(!internal_peer)' },
    { rule: { communities: { values: ['64512:100'] }, action: 'Accept' }, want: '(bgp_community ~ [ (64512, 100) ])' },
    { rule: { communities: { values: ['1:2:3'] }, action: 'Accept' }, want: '(bgp_large_community ~ [ (1, 2, 3) ])' },
    { rule: { communities: { values: ['65535:65535'] }, action: 'Accept' }, want: '(bgp_community ~ [ (65535, 65535) ])' },
    { rule: { communities: { values: ['4294967295:0:4294967295'] }, action: 'Accept' }, want: '(bgp_large_community ~ [ (4294967295, 0, 4294967295) ])' },
    // Out-of-range parts: Calico's validation refuses them, and so would BIRD.
    { rule: { communities: { values: ['65536:100'] }, action: 'Accept' }, want: undefined },
    { rule: { communities: { values: ['4294967296:1:1'] }, action: 'Accept' }, want: undefined },
    { rule: { asPathPrefix: [65000, 65001], action: 'Accept' }, want: '(bgp_path ~ [= 65000 65001 * =])' },
    { rule: { priority: 512, action: 'Accept' }, want: '((defined(krt_metric)) && (krt_metric = 512))' },
    { rule: { action: 'Accept' }, want: 'true' },
    // A CIDR of the other family, or an unknown operator, cannot be rendered.
    { rule: { cidr: 'fd00::/64', matchOperator: 'In', action: 'Reject' }, family: 4, want: undefined },
    { rule: { cidr: '10.0.0.0/8', matchOperator: 'Around', action: 'Reject' }, want: undefined },
  ];
  for (const c of cases) {
    test(`ruleCondition() renders ${JSON.stringify(c.rule)}`, () => {
      assert.equal(ruleCondition(c.rule, c.family ?? 4), c.want);
    });
  }

  test('ruleCondition() joins several match fields with &&', () => {
    assert.equal(
      ruleCondition({ cidr: '10.0.0.0/8', matchOperator: 'In', source: 'RemotePeers', action: 'Reject' }, 4),
      '(net ~ 10.0.0.0/8) && ((defined(source)) && (source ~ [ RTS_BGP ]))',
    );
  });
});

describe('renderBgpFilterFunctions()', () => {
  test('renderBgpFilterFunctions() writes one function per filter, direction and family with rules', () => {
    const out = renderBgpFilterFunctions([
      bgpFilter('b', { importV6: [{ action: 'Reject', matchOperator: 'In', cidr: 'fd00::/8' }] }),
      bgpFilter('a', {
        exportV4: [
          { action: 'Accept', matchOperator: 'Equal', cidr: '10.1.0.0/16', operations: [{ addCommunity: { value: '65000:1' } }, { prependASPath: { prefix: [65000, 65001] } }, { setPriority: { value: 100 } }] },
          { action: 'Reject', matchOperator: 'In', cidr: '10.0.0.0/8' },
        ],
      }),
    ], [4, 6]);
    assert.deepEqual(out.warnings, []);
    assert.deepEqual([...out.defined], ["'bgp_a_exportFilterV4'", "'bgp_b_importFilterV6'"]);
    assert.equal(out.text, [
      '# BGPFilter a: exportV4',
      "function 'bgp_a_exportFilterV4'(bool internal_peer)",
      '{',
      '  if ((net = 10.1.0.0/16)) then { bgp_community.add((65000, 1)); bgp_path.prepend(65001); bgp_path.prepend(65000); krt_metric = 100; accept; }',
      '  if ((net ~ 10.0.0.0/8)) then { reject; }',
      '}',
      '',
      '# BGPFilter b: importV6',
      "function 'bgp_b_importFilterV6'(bool internal_peer)",
      '{',
      '  if ((net ~ fd00::/8)) then { reject; }',
      '}',
      '',
    ].join('\n'));
  });

  test('renderBgpFilterFunctions() leaves out a rule it cannot render, with a warning naming it', () => {
    const out = renderBgpFilterFunctions([bgpFilter('odd', { importV4: [{ action: 'Reject', matchOperator: 'In', cidr: 'fd00::/8' }] })], [4]);
    assert.match(out.text, /# rule 0 ignored: it cannot be rendered/);
    assert.equal(out.warnings.length, 1);
    assert.match(out.warnings[0]!, /^BGPFilter\(odd\)\.spec\.importV4\[0\] cannot be rendered/);
  });

  test('renderBgpFilterFunctions() leaves out a rule that adds an out-of-range community', () => {
    const out = renderBgpFilterFunctions([bgpFilter('wide', {
      exportV4: [{ action: 'Accept', matchOperator: 'In', cidr: '10.0.0.0/8', operations: [{ addCommunity: { value: '65536:100' } }] }],
    })], [4]);
    assert.doesNotMatch(out.text, /65536/);
    assert.match(out.text, /# rule 0 ignored/);
    assert.match(out.warnings.join('\n'), /^BGPFilter\(wide\)\.spec\.exportV4\[0\] cannot be rendered .*65536:100/);
  });
});
