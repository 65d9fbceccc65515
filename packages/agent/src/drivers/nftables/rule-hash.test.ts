import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { hashFromComment, ruleComment, ruleHashes } from './rule-hash.ts';

describe('rule hashes', () => {
  const rules = [{ body: 'ct state established,related accept' }, { body: 'counter drop', comment: 'Unknown interface' }, { body: 'counter accept' }];

  it('ruleHashes() is deterministic and 16 base64url characters per rule', () => {
    const a = ruleHashes(rules);
    assert.deepEqual(a, ruleHashes(rules));
    assert.equal(a.length, 3);
    for (const h of a) assert.match(h, /^[A-Za-z0-9_-]{16}$/);
  });

  it('ruleHashes() changes the hash of a changed rule and of every later rule, not earlier ones', () => {
    const a = ruleHashes(rules);
    const b = ruleHashes([rules[0]!, { body: 'counter drop', comment: 'other text' }, rules[2]!]);
    assert.equal(a[0], b[0]);
    assert.notEqual(a[1], b[1]);
    assert.notEqual(a[2], b[2]);
  });

  it('ruleHashes() depends on the rules before, so a reordered chain has other hashes', () => {
    const reordered = ruleHashes([rules[1]!, rules[0]!, rules[2]!]);
    assert.notEqual(reordered[2], ruleHashes(rules)[2]);
  });

  it('ruleComment() carries the hash and text within nft\'s 128 characters', () => {
    assert.equal(ruleComment('AAAAAAAAAAAAAAAA', undefined), 'pc:AAAAAAAAAAAAAAAA');
    assert.equal(ruleComment('AAAAAAAAAAAAAAAA', 'say "hi"\n'), 'pc:AAAAAAAAAAAAAAAA; say _hi__');
    assert.equal(ruleComment('AAAAAAAAAAAAAAAA', 'x'.repeat(300)).length, 128);
  });

  it('hashFromComment() reads our hash and nothing else', () => {
    assert.equal(hashFromComment('pc:AAAAAAAAAAAAAAAA; text'), 'AAAAAAAAAAAAAAAA');
    assert.equal(hashFromComment('pc:AAAAAAAAAAAAAAAA'), 'AAAAAAAAAAAAAAAA');
    assert.equal(hashFromComment('cali:AAAAAAAAAAAAAAAA;'), '');
    assert.equal(hashFromComment('pc:short'), '');
    assert.equal(hashFromComment(undefined), '');
  });
});
