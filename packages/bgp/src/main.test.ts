/**
 * Tests of `percale bgp` argument parsing (the daemon itself is proven end to end in
 * test/bgp-e2e.test.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_BIRD_CONFIG, DEFAULT_RUN_DIR, parseBgpArgs } from './main.ts';

describe('parseBgpArgs()', () => {
  it('parseBgpArgs() defaults to a managed BIRD under /var/run/percale', () => {
    const a = parseBgpArgs([]);
    assert.equal(a.birdConfig, DEFAULT_BIRD_CONFIG);
    assert.equal(a.runDir, DEFAULT_RUN_DIR);
    assert.equal(a.birdSocket, undefined);
    assert.equal(a.register, true);
  });

  it('parseBgpArgs() reads separate and inline values and flags', () => {
    const a = parseBgpArgs(['-c', '/etc/felix.cfg', '--bird-socket=/run/bird.ctl', '--run-dir', '/run/p', '--no-register', '--log-level', 'debug']);
    assert.deepEqual({ c: a.configFile, s: a.birdSocket, r: a.runDir, reg: a.register, l: a.logLevel },
      { c: '/etc/felix.cfg', s: '/run/bird.ctl', r: '/run/p', reg: false, l: 'debug' });
  });

  it('parseBgpArgs() rejects unknown options and missing values', () => {
    assert.throws(() => parseBgpArgs(['--birdsocket', 'x']), /unknown argument "--birdsocket"/);
    assert.throws(() => parseBgpArgs(['--bird-config']), /--bird-config needs a value/);
  });
});
