/**
 * Unit tests of `FloatingIpCache` and `PortRevisions`, the two memories that make the dynamic
 * sync's notification fast path safe: reads never beat later invalidations, and no payload
 * older than a revision seen (or of a deleted port) is allowed.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NeutronFloatingIp } from '../neutron/types.ts';
import { FloatingIpCache } from './floating-ip-cache.ts';
import { PortRevisions } from './port-revisions.ts';

const fip = (id: string, port: string | null): NeutronFloatingIp => ({ id, floating_ip_address: '172.24.4.9', fixed_ip_address: '10.0.0.2', port_id: port });

describe('FloatingIpCache', () => {
  it('get() knows nothing before a full load, and after one a port without an entry has none', () => {
    const c = new FloatingIpCache();
    assert.equal(c.get('p1'), undefined);
    c.load(c.mark(), [fip('f1', 'p2'), fip('f2', null)]);
    assert.deepEqual(c.get('p1'), []);
    assert.deepEqual(c.get('p2')!.map((f) => f.id), ['f1']);
  });

  it('store() and load() drop a read that began before the port was invalidated', () => {
    const c = new FloatingIpCache();
    const full = c.mark();
    const one = c.mark();
    c.invalidate('p1');
    c.store(one, 'p1', []);
    assert.equal(c.get('p1'), undefined, 'the per-port read predates the event');
    c.load(full, [fip('f1', 'p1')]);
    assert.equal(c.get('p1'), undefined, 'the full read predates the event');
    assert.deepEqual(c.get('p3'), [], 'other ports are settled by the load');
    c.store(c.mark(), 'p1', [fip('f1', 'p1')]);
    assert.deepEqual(c.get('p1')!.map((f) => f.id), ['f1'], 'a read after the event counts');
  });

  it('invalidateAll() forgets everything until the next full load, even reads in flight', () => {
    const c = new FloatingIpCache();
    c.load(c.mark(), []);
    const inFlight = c.mark();
    c.invalidateAll();
    c.store(inFlight, 'p1', []);
    c.load(inFlight, []);
    assert.equal(c.get('p1'), undefined);
    c.load(c.mark(), []);
    assert.deepEqual(c.get('p1'), []);
  });
});

describe('PortRevisions', () => {
  const cases: Array<[string, (r: PortRevisions) => void, number, boolean]> = [
    ['an unknown port', () => {}, 1, true],
    ['the revision seen', (r) => r.note('p', 3), 3, true],
    ['a newer revision', (r) => r.note('p', 3), 4, true],
    ['an older revision', (r) => r.note('p', 3), 2, false],
    ['an older note does not lower the mark', (r) => { r.note('p', 5); r.note('p', 3); }, 4, false],
    ['a deleted port', (r) => { r.note('p', 3); r.noteDeleted('p'); }, 99, false],
  ];
  for (const [name, setup, revision, expected] of cases) {
    it(`mayApply() ${expected ? 'allows' : 'refuses'} ${name}`, () => {
      const r = new PortRevisions();
      setup(r);
      assert.equal(r.mayApply('p', revision), expected);
    });
  }

  it('note() forgets the least recently touched port past the limit', () => {
    const r = new PortRevisions(2);
    r.note('a', 5);
    r.note('b', 5);
    r.note('a', 6);
    r.note('c', 5);
    assert.equal(r.size, 2);
    assert.equal(r.mayApply('b', 1), true, 'b was forgotten');
    assert.equal(r.mayApply('a', 1), false);
  });
});
