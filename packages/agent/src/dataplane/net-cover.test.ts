import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { CoverDelta, NetCover } from './net-cover.ts';

const sorted = (s: ReadonlySet<string>) => [...s].sort();

describe('NetCover', () => {
  it('add() leaves out a network another member contains', () => {
    const c = new NetCover();
    c.add('10.0.0.0/8');
    const d = c.add('10.1.2.3/32');
    assert.ok(d.empty);
    assert.deepEqual(sorted(c.elements), ['10.0.0.0/8']);
    assert.equal(c.size, 2);
  });

  it('add() of a covering network replaces the elements inside it', () => {
    const c = new NetCover();
    c.add('10.1.2.3');
    c.add('10.2.0.0/16');
    c.add('192.168.0.1');
    const d = c.add('10.0.0.0/8');
    assert.deepEqual(sorted(d.added), ['10.0.0.0/8']);
    assert.deepEqual(sorted(d.removed), ['10.1.2.3', '10.2.0.0/16']);
    assert.deepEqual(sorted(c.elements), ['10.0.0.0/8', '192.168.0.1']);
  });

  it('remove() of a covering network brings back the largest networks it covered', () => {
    const c = new NetCover();
    for (const m of ['10.0.0.0/8', '10.1.0.0/16', '10.1.2.3', '10.9.9.9']) c.add(m);
    const d = c.remove('10.0.0.0/8');
    assert.deepEqual(sorted(d.removed), ['10.0.0.0/8']);
    assert.deepEqual(sorted(d.added), ['10.1.0.0/16', '10.9.9.9']);
    assert.deepEqual(sorted(c.elements), ['10.1.0.0/16', '10.9.9.9']);
  });

  it('remove() of a covered member changes no element', () => {
    const c = new NetCover();
    c.add('fd00::/64');
    c.add('fd00::1');
    assert.ok(c.remove('fd00::1').empty);
    assert.deepEqual(sorted(c.elements), ['fd00::/64']);
  });

  it('add() and remove() canonicalise spellings and ignore unparsable text', () => {
    const c = new NetCover();
    c.add('10.0.0.1/32');
    assert.ok(c.add('10.0.0.1').empty);
    assert.ok(c.add('not-an-ip').empty);
    assert.ok(c.has('10.0.0.1'));
    assert.deepEqual(sorted(c.remove('10.0.0.1').removed), ['10.0.0.1']);
  });

  it('CoverDelta cancels an element added and removed within one delta', () => {
    const c = new NetCover();
    const d = new CoverDelta();
    c.add('10.0.0.1', d);
    c.add('10.0.0.0/24', d);
    assert.deepEqual(sorted(d.added), ['10.0.0.0/24']);
    assert.deepEqual(sorted(d.removed), []);
  });
});
