import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parseTableListing } from './listing.ts';

// `nft -j list ruleset` from nft 1.0.6 (kernel 6.18) after loading sets of every key shape the
// driver uses, a foreign range element, a verdict map, a concatenated NAT map, a base chain,
// a rule without a hash comment, and a second table.
const LISTING = "{\"nftables\": [{\"metainfo\": {\"version\": \"1.0.6\", \"release_name\": \"Lester Gooch #5\", \"json_schema_version\": 1}}, {\"table\": {\"family\": \"inet\", \"name\": \"pt\", \"handle\": 11}}, {\"set\": {\"family\": \"inet\", \"name\": \"a4\", \"table\": \"pt\", \"type\": \"ipv4_addr\", \"handle\": 3, \"flags\": [\"interval\"], \"elem\": [\"10.0.0.1\", {\"prefix\": {\"addr\": \"10.1.0.0\", \"len\": 16}}, {\"range\": [\"10.2.0.1\", \"10.2.0.5\"]}]}}, {\"set\": {\"family\": \"inet\", \"name\": \"a6\", \"table\": \"pt\", \"type\": \"ipv6_addr\", \"handle\": 4, \"flags\": [\"interval\"], \"elem\": [{\"prefix\": {\"addr\": \"::ffff:0.0.0.0\", \"len\": 96}}, \"fd00::1\", {\"prefix\": {\"addr\": \"fd00:1::\", \"len\": 64}}]}}, {\"set\": {\"family\": \"inet\", \"name\": \"src4\", \"table\": \"pt\", \"type\": [\"ifname\", \"ipv4_addr\"], \"handle\": 5, \"flags\": [\"interval\"], \"elem\": [{\"concat\": [\"tap1\", \"10.0.0.1\"]}, {\"concat\": [\"tap1\", {\"prefix\": {\"addr\": \"10.9.0.0\", \"len\": 24}}]}]}}, {\"set\": {\"family\": \"inet\", \"name\": \"np\", \"table\": \"pt\", \"type\": [\"ipv4_addr\", \"inet_proto\", \"inet_service\"], \"handle\": 6, \"elem\": [{\"concat\": [\"10.0.0.2\", \"sctp\", 9]}, {\"concat\": [\"10.0.0.1\", \"tcp\", 80]}]}}, {\"set\": {\"family\": \"inet\", \"name\": \"ports\", \"table\": \"pt\", \"type\": \"inet_service\", \"handle\": 7, \"flags\": [\"interval\"], \"elem\": [80, {\"range\": [8000, 8080]}]}}, {\"map\": {\"family\": \"inet\", \"name\": \"tw\", \"table\": \"pt\", \"type\": \"ifname\", \"handle\": 8, \"map\": \"verdict\", \"elem\": [[\"tap1\", {\"goto\": {\"target\": \"c\"}}]]}}, {\"map\": {\"family\": \"inet\", \"name\": \"fsnat\", \"table\": \"pt\", \"type\": [\"ipv4_addr\", \"ipv4_addr\"], \"handle\": 9, \"map\": \"ipv4_addr\", \"elem\": [[{\"concat\": [\"10.0.0.1\", \"10.0.0.1\"]}, \"1.2.3.4\"]]}}, {\"chain\": {\"family\": \"inet\", \"table\": \"pt\", \"name\": \"c\", \"handle\": 1}}, {\"chain\": {\"family\": \"inet\", \"table\": \"pt\", \"name\": \"b\", \"handle\": 2, \"type\": \"filter\", \"hook\": \"prerouting\", \"prio\": -300, \"policy\": \"accept\"}}, {\"rule\": {\"family\": \"inet\", \"table\": \"pt\", \"chain\": \"c\", \"handle\": 10, \"comment\": \"pc:AAAAAAAAAAAAAAAA; text\", \"expr\": [{\"counter\": {\"packets\": 0, \"bytes\": 0}}, {\"accept\": null}]}}, {\"rule\": {\"family\": \"inet\", \"table\": \"pt\", \"chain\": \"c\", \"handle\": 11, \"expr\": [{\"counter\": {\"packets\": 0, \"bytes\": 0}}, {\"drop\": null}]}}, {\"rule\": {\"family\": \"inet\", \"table\": \"pt\", \"chain\": \"b\", \"handle\": 12, \"comment\": \"pc:BBBBBBBBBBBBBBBB\", \"expr\": [{\"jump\": {\"target\": \"c\"}}]}}, {\"table\": {\"family\": \"ip\", \"name\": \"other\", \"handle\": 12}}, {\"chain\": {\"family\": \"ip\", \"table\": \"other\", \"name\": \"x\", \"handle\": 1}}, {\"rule\": {\"family\": \"ip\", \"table\": \"other\", \"chain\": \"x\", \"handle\": 2, \"expr\": [{\"counter\": {\"packets\": 0, \"bytes\": 0}}]}}]}";

describe('parseTableListing', () => {
  const t = parseTableListing(LISTING, 'inet', 'pt');

  it('parseTableListing() reads chains with their hooks and one hash per rule, in order', () => {
    assert.deepEqual(t.chains.get('c'), { hashes: ['AAAAAAAAAAAAAAAA', ''] });
    assert.deepEqual(t.chains.get('b'), { base: { type: 'filter', hook: 'prerouting', priority: -300, policy: 'accept' }, hashes: ['BBBBBBBBBBBBBBBB'] });
  });

  it('parseTableListing() ignores other tables', () => {
    assert.equal(t.chains.has('x'), false);
    assert.deepEqual(t.foreignObjects, []);
  });

  const cases: [string, object, [string, string][]][] = [
    ['a4', { name: 'a4', type: ['ipv4_addr'], interval: true }, [['10.0.0.1', ''], ['10.1.0.0/16', ''], ['10.2.0.1-10.2.0.5', '']]],
    ['a6', { name: 'a6', type: ['ipv6_addr'], interval: true }, [['::ffff:0.0.0.0/96', ''], ['fd00::1', ''], ['fd00:1::/64', '']]],
    ['src4', { name: 'src4', type: ['ifname', 'ipv4_addr'], interval: true }, [['"tap1" . 10.0.0.1', ''], ['"tap1" . 10.9.0.0/24', '']]],
    ['np', { name: 'np', type: ['ipv4_addr', 'inet_proto', 'inet_service'] }, [['10.0.0.2 . 132 . 9', ''], ['10.0.0.1 . 6 . 80', '']]],
    ['ports', { name: 'ports', type: ['inet_service'], interval: true }, [['80', ''], ['8000-8080', '']]],
    ['tw', { name: 'tw', type: ['ifname'], map: 'verdict' }, [['"tap1"', 'goto c']]],
    ['fsnat', { name: 'fsnat', type: ['ipv4_addr', 'ipv4_addr'], map: 'ipv4_addr' }, [['10.0.0.1 . 10.0.0.1', '1.2.3.4']]],
  ];
  for (const [name, spec, elements] of cases) {
    it(`parseTableListing() reads set ${name} as canonical element text`, () => {
      const s = t.sets.get(name)!;
      assert.deepEqual(s.spec, spec);
      assert.deepEqual([...s.elements], elements);
    });
  }

  it('parseTableListing() reports object kinds it does not manage', () => {
    const text = JSON.stringify({ nftables: [{ flowtable: { family: 'inet', table: 'pt', name: 'ft' } }, { counter: { family: 'inet', table: 'pt', name: 'cnt' } }] });
    assert.deepEqual(parseTableListing(text, 'inet', 'pt').foreignObjects, ['flowtable ft', 'counter cnt']);
  });
});
