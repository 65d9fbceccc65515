import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { isNftApplyError } from './errors.ts';
import { NftTable, type TableTimers } from './nft-table.ts';
import { ruleHashes } from './rule-hash.ts';
import { FakeNft } from './testing/fake-nft.ts';

function fakeTimers(): TableTimers & { advance(ms: number): void; sleeps: number[] } {
  let now = 0;
  const sleeps: number[] = [];
  return {
    now: () => now,
    after(ms, fn) {
      sleeps.push(ms);
      queueMicrotask(fn);
      return () => {};
    },
    advance(ms) {
      now += ms;
    },
    sleeps,
  };
}

/** A table with the shape the dataplane uses: a base chain, a dispatch chain, a verdict map, a set. */
function populated(nft: FakeNft, options: { monitor?: boolean; timers?: TableTimers } = {}): NftTable {
  const t = new NftTable({ exec: nft.exec, name: 'pt', monitor: options.monitor ?? false, retryDelayMs: 1, ...(options.timers ? { timers: options.timers } : {}) });
  t.setSet({ name: 'to-wl', type: ['ifname'], map: 'verdict' });
  t.setSet({ name: 'src4', type: ['ifname', 'ipv4_addr'], interval: true });
  t.setChain({ name: 'forward', base: { type: 'filter', hook: 'forward', priority: 0, policy: 'accept' }, rules: [{ body: 'oifname "tap*" jump dispatch' }] });
  t.setChain({ name: 'dispatch', rules: [{ body: 'oifname vmap @to-wl' }, { body: 'counter drop', comment: 'Unknown interface' }] });
  t.setChain({ name: 'tw-tap1', comment: 'To workload interface tap1', rules: [{ body: 'ct state established,related accept' }, { body: 'counter drop' }] });
  t.setMapElement('to-wl', '"tap1"', 'goto tw-tap1');
  t.addElements('src4', ['"tap1" . 10.0.0.1', '"tap1" . 10.1.0.0/16']);
  return t;
}

function hashOf(_chain: string, bodies: string[], i: number, comments: (string | undefined)[] = []): string {
  return ruleHashes(bodies.map((body, j) => (comments[j] === undefined ? { body } : { body, comment: comments[j]! })))[i]!;
}

describe('NftTable', () => {
  it('apply() reads the table, then creates sets, chains and rules in one block and adds elements, in one transaction', async () => {
    const nft = new FakeNft();
    const t = populated(nft);
    const r = await t.apply();
    assert.deepEqual({ wrote: r.wrote, read: r.read, attempts: r.attempts }, { wrote: true, read: true, attempts: 1 });
    assert.equal(nft.lists, 1);
    assert.equal(nft.transactions.length, 1);
    const h = (c: string, b: string[], i: number, cm: (string | undefined)[] = []) => hashOf(c, b, i, cm);
    assert.equal(nft.transactions[0], [
      'table inet pt {',
      '\tmap to-wl { type ifname : verdict; }',
      '\tset src4 { type ifname . ipv4_addr; flags interval; }',
      '\tchain forward {',
      '\t\ttype filter hook forward priority 0; policy accept;',
      `\t\toifname "tap*" jump dispatch comment "pc:${h('forward', ['oifname "tap*" jump dispatch'], 0)}"`,
      '\t}',
      '\tchain dispatch {',
      `\t\toifname vmap @to-wl comment "pc:${h('dispatch', ['oifname vmap @to-wl', 'counter drop'], 0, [undefined, 'Unknown interface'])}"`,
      `\t\tcounter drop comment "pc:${h('dispatch', ['oifname vmap @to-wl', 'counter drop'], 1, [undefined, 'Unknown interface'])}; Unknown interface"`,
      '\t}',
      '\tchain tw-tap1 {',
      '\t\tcomment "To workload interface tap1"',
      `\t\tct state established,related accept comment "pc:${h('tw-tap1', ['ct state established,related accept', 'counter drop'], 0)}"`,
      `\t\tcounter drop comment "pc:${h('tw-tap1', ['ct state established,related accept', 'counter drop'], 1)}"`,
      '\t}',
      '}',
      'add element inet pt to-wl { "tap1" : goto tw-tap1 }',
      'add element inet pt src4 { "tap1" . 10.0.0.1, "tap1" . 10.1.0.0/16 }',
      '',
    ].join('\n'));
    assert.ok(t.inSync);
    assert.ok(t.isChainProgrammed('tw-tap1'));
    assert.ok(t.isElementProgrammed('to-wl', '"tap1"'));
  });

  it('apply() writes nothing, and does not read again, when nothing changed', async () => {
    const nft = new FakeNft();
    const t = populated(nft);
    await t.apply();
    const r = await t.apply();
    assert.deepEqual({ wrote: r.wrote, read: r.read }, { wrote: false, read: false });
    assert.equal(nft.transactions.length, 1);
    assert.equal(nft.lists, 1);
  });

  it('apply() writes a single element command for a single element change', async () => {
    const nft = new FakeNft();
    const t = populated(nft);
    await t.apply();
    t.addElements('src4', ['"tap1" . 10.0.0.2']);
    t.removeElements('src4', ['"tap1" . 10.0.0.1']);
    await t.apply();
    assert.equal(nft.transactions[1], 'delete element inet pt src4 { "tap1" . 10.0.0.1 }\nadd element inet pt src4 { "tap1" . 10.0.0.2 }\n');
  });

  it('replaceElements() queues only the difference from the desired elements', async () => {
    const nft = new FakeNft();
    const t = populated(nft);
    await t.apply();
    t.replaceElements('src4', new Set(['"tap1" . 10.1.0.0/16', '"tap1" . 10.0.0.2']));
    assert.deepEqual([...t.desiredElements('src4').keys()].sort(), ['"tap1" . 10.0.0.2', '"tap1" . 10.1.0.0/16']);
    await t.apply();
    assert.equal(nft.transactions[1], 'delete element inet pt src4 { "tap1" . 10.0.0.1 }\nadd element inet pt src4 { "tap1" . 10.0.0.2 }\n');
  });

  it('apply() rewrites a changed chain whole (flush and re-add) and leaves the others alone', async () => {
    const nft = new FakeNft();
    const t = populated(nft);
    await t.apply();
    t.setChain({ name: 'tw-tap1', rules: [{ body: 'ct state established,related accept' }, { body: 'tcp dport 22 counter accept' }, { body: 'counter drop' }] });
    await t.apply();
    const lines = nft.transactions[1]!.trim().split('\n');
    assert.deepEqual(lines.slice(0, 3), ['flush chain inet pt tw-tap1', 'table inet pt {', '\tchain tw-tap1 {']);
    assert.equal(lines.length, 8);
    assert.deepEqual(lines.slice(3, 6).map((l) => l.replace(/ comment .*/, '')), ['\t\tct state established,related accept', '\t\ttcp dport 22 counter accept', '\t\tcounter drop']);
    assert.deepEqual(lines.slice(6), ['\t}', '}']);
  });

  it('apply() treats a re-added identical element or chain as no change', async () => {
    const nft = new FakeNft();
    const t = populated(nft);
    await t.apply();
    t.removeElements('src4', ['"tap1" . 10.0.0.1']);
    t.addElements('src4', ['"tap1" . 10.0.0.1']);
    const def = t.getChain('tw-tap1')!;
    t.deleteChain('tw-tap1');
    t.setChain(def);
    const r = await t.apply();
    assert.equal(r.wrote, false);
  });

  it('apply() removes a map element before the chain it points at, and the chain after unreferencing it', async () => {
    const nft = new FakeNft();
    const t = populated(nft);
    await t.apply();
    t.removeElements('to-wl', ['"tap1"']);
    t.deleteChain('tw-tap1');
    await t.apply();
    assert.equal(nft.transactions[1], [
      'delete element inet pt to-wl { "tap1" }',
      'flush chain inet pt tw-tap1',
      'delete chain inet pt tw-tap1',
      '',
    ].join('\n'));
    assert.ok(!nft.state.chains.has('tw-tap1'));
  });

  it('apply() replaces a map element whose value changed with a delete and an add', async () => {
    const nft = new FakeNft();
    const t = populated(nft);
    t.setChain({ name: 'tw-tap1-new', rules: [] });
    await t.apply();
    t.setMapElement('to-wl', '"tap1"', 'goto tw-tap1-new');
    await t.apply();
    assert.equal(nft.transactions[1], 'delete element inet pt to-wl { "tap1" }\nadd element inet pt to-wl { "tap1" : goto tw-tap1-new }\n');
  });

  it('apply() commits only what it wrote when the desired state changes while nft runs', async () => {
    const nft = new FakeNft();
    const t = populated(nft);
    const run = nft.exec.run.bind(nft.exec);
    let once = true;
    nft.exec.run = (argv, o) => {
      if (argv.includes('-f') && once) {
        once = false;
        t.setChain({ name: 'tw-tap1', rules: [{ body: 'counter accept' }] });
        t.addElements('src4', ['"tap1" . 10.0.0.9']);
      }
      return run(argv, o);
    };
    await t.apply();
    assert.equal(t.isChainProgrammed('dispatch'), true);
    assert.equal(t.isChainProgrammed('tw-tap1'), false, 'the newer content is still to be written');
    assert.equal(t.isElementProgrammed('src4', '"tap1" . 10.0.0.1'), true);
    assert.equal(t.isElementProgrammed('src4', '"tap1" . 10.0.0.9'), false);
    const r = await t.apply();
    assert.equal(r.wrote, true);
    assert.ok(t.inSync);
    assert.deepEqual(nft.state.chains.get('tw-tap1')!.rules.map((x) => x.body), ['counter accept']);
  });

  it('apply() of a restarted agent with the same desired state reads the table and writes nothing', async () => {
    const nft = new FakeNft();
    await populated(nft).apply();
    const restarted = populated(nft);
    const r = await restarted.apply();
    assert.deepEqual({ wrote: r.wrote, read: r.read }, { wrote: false, read: true });
    assert.equal(nft.transactions.length, 1);
    assert.ok(restarted.isChainProgrammed('tw-tap1'));
  });

  it('apply() of a restarted agent with fewer objects deletes only the stale ones', async () => {
    const nft = new FakeNft();
    const first = populated(nft);
    first.setSet({ name: 'old-set', type: ['ipv4_addr'], interval: true });
    first.addElements('old-set', ['10.9.0.0/16']);
    first.setChain({ name: 'old-chain', rules: [{ body: 'ip saddr @old-set counter accept' }] });
    await first.apply();
    const restarted = populated(nft);
    await restarted.apply();
    assert.equal(nft.transactions[1], 'flush chain inet pt old-chain\ndelete set inet pt old-set\ndelete chain inet pt old-chain\n');
  });

  it('apply() after a resync repairs a flushed chain, a deleted element, a deleted map entry and a foreign chain', async () => {
    const nft = new FakeNft();
    const t = populated(nft);
    await t.apply();
    nft.tamper([
      'flush chain inet pt dispatch',
      'delete element inet pt src4 { "tap1" . 10.0.0.1 }',
      'delete element inet pt to-wl { "tap1" }',
      'add chain inet pt intruder',
      'add rule inet pt tw-tap1 counter accept',
    ].join('\n'));
    t.queueResync();
    const r = await t.apply();
    assert.ok(r.read && r.wrote);
    const tx = nft.transactions[1]!;
    assert.match(tx, /^flush chain inet pt dispatch$/m);
    assert.match(tx, /^flush chain inet pt tw-tap1$/m);
    assert.match(tx, /^add element inet pt src4 \{ "tap1" \. 10\.0\.0\.1 \}$/m);
    assert.match(tx, /^add element inet pt to-wl \{ "tap1" : goto tw-tap1 \}$/m);
    assert.match(tx, /^delete chain inet pt intruder$/m);
    assert.doesNotMatch(tx, /forward/, 'an untouched chain is not rewritten');
    // The kernel now matches again.
    const again = populated(nft);
    assert.equal((await again.apply()).wrote, false);
  });

  it('apply() programs a chain nft rejects as a single drop rule and still writes everything else', async () => {
    const nft = new FakeNft();
    const t = populated(nft);
    t.setChain({ name: 'pi-bad', rules: [{ body: 'syntax-error here' }] });
    const r = await t.apply();
    assert.equal(r.wrote, true);
    assert.equal(r.attempts, 2);
    assert.match(r.errors.join('\n'), /chain pi-bad quarantined/);
    assert.deepEqual(nft.state.chains.get('pi-bad')!.rules.map((x) => x.body), ['counter drop']);
    assert.ok(!t.isChainProgrammed('pi-bad'));
    assert.equal(t.quarantinedChains.size, 1);
    // New content lifts the quarantine.
    t.setChain({ name: 'pi-bad', rules: [{ body: 'counter accept' }] });
    await t.apply();
    assert.ok(t.isChainProgrammed('pi-bad'));
    assert.deepEqual(nft.state.chains.get('pi-bad')!.rules.map((x) => x.body), ['counter accept']);
  });

  it('apply() re-reads instead of quarantining when a rule fails against a stale view', async () => {
    const nft = new FakeNft();
    const t = populated(nft);
    t.setChain({ name: 'pi-x', rules: [{ body: 'jump pi-y' }] });
    t.setChain({ name: 'pi-y', rules: [{ body: 'counter accept' }] });
    await t.apply();
    // Behind the driver's back: the jump target disappears.
    nft.tamper('flush chain inet pt pi-x\ndelete chain inet pt pi-y');
    t.setChain({ name: 'pi-x', rules: [{ body: 'jump pi-y' }, { body: 'counter' }] });
    const r = await t.apply();
    assert.deepEqual({ wrote: r.wrote, read: r.read, attempts: r.attempts }, { wrote: true, read: true, attempts: 2 });
    assert.equal(t.quarantinedChains.size, 0);
    assert.deepEqual(nft.state.chains.get('pi-y')!.rules.map((x) => x.body), ['counter accept']);
    assert.ok(t.inSync);
  });

  it('apply() retries a chain that referred to a missing set once the set appears', async () => {
    const nft = new FakeNft();
    const t = populated(nft);
    t.setChain({ name: 'pi-x', rules: [{ body: 'ip saddr @late counter accept' }] });
    await t.apply();
    assert.ok(t.quarantinedChains.has('pi-x'));
    t.setSet({ name: 'late', type: ['ipv4_addr'], interval: true });
    await t.apply();
    assert.equal(t.quarantinedChains.size, 0);
    assert.ok(t.isChainProgrammed('pi-x'));
  });

  it('apply() re-reads the table and retries when the kernel differs from its view', async () => {
    const nft = new FakeNft();
    const t = populated(nft);
    await t.apply();
    // Someone deletes an element the driver is about to delete: the delete fails, the retry reads.
    nft.tamper('delete element inet pt src4 { "tap1" . 10.0.0.1 }');
    t.removeElements('src4', ['"tap1" . 10.0.0.1']);
    const r = await t.apply();
    // After the read-back the kernel already matches: the second attempt has nothing to write.
    assert.deepEqual({ wrote: r.wrote, read: r.read, attempts: r.attempts }, { wrote: false, read: true, attempts: 2 });
    assert.equal(nft.lists, 2);
    assert.match(r.errors[0]!, /No such file or directory/);
    assert.ok(t.inSync);
  });

  it('apply() throws NftApplyError after persistent failures, recreating the whole table in its last attempts', async () => {
    const nft = new FakeNft();
    const timers = fakeTimers();
    const t = new NftTable({ exec: nft.exec, name: 'pt', monitor: false, maxAttempts: 4, fullRewriteFromAttempt: 3, retryDelayMs: 10, timers });
    t.setChain({ name: 'c', base: { type: 'filter', hook: 'input', priority: 0, policy: 'accept' }, rules: [{ body: 'syntax-error' }] });
    await assert.rejects(t.apply(), (err: unknown) => isNftApplyError(err) && /after 4 attempts/.test(err.message));
    assert.equal(nft.transactions.length, 4);
    assert.match(nft.transactions[2]!, /^add table inet pt\ndelete table inet pt\ntable inet pt \{\n\tchain c \{\n/);
    assert.deepEqual(timers.sleeps, [10, 20, 40]);
    assert.equal(nft.state.exists, false, 'nothing was written');
  });

  it('apply() skips the periodic read while the monitor saw no foreign change, and reads every forcedReadEvery-th time', async () => {
    const nft = new FakeNft();
    const timers = fakeTimers();
    const t = new NftTable({ exec: nft.exec, name: 'pt', timers, refreshIntervalMs: 1000, forcedReadEvery: 3 });
    t.setChain({ name: 'c', rules: [] });
    await t.apply();
    // The monitor starts once the table is programmed; it has not seen a read-back yet.
    assert.equal(nft.monitorsRunning, 1);
    assert.equal(nft.lists, 1);
    const refresh = async () => {
      timers.advance(1000);
      const r = await t.apply();
      return r.read ? 'read' : r.refreshSkipped ? 'skipped' : 'none';
    };
    assert.deepEqual([await refresh(), await refresh(), await refresh(), await refresh()], ['read', 'skipped', 'skipped', 'read']);
    assert.equal(nft.lists, 3);
    t.close();
    assert.equal(nft.monitorsRunning, 0);
  });

  it('apply() reads back after the monitor reports a change to the table by another process', async () => {
    const nft = new FakeNft();
    let told = 0;
    const t = new NftTable({ exec: nft.exec, name: 'pt', onForeignChange: () => told++ });
    t.setChain({ name: 'c', rules: [{ body: 'counter accept' }] });
    await t.apply();
    // The driver's own write is not foreign.
    t.setChain({ name: 'c', rules: [{ body: 'counter drop' }] });
    await t.apply();
    assert.equal(told, 0);
    // Changes to other tables are not either.
    nft.monitorLines('add table ip other', '# new generation 90 by process 1 (nft)');
    assert.equal(told, 0);
    nft.tamper('flush chain inet pt c');
    nft.monitorLines('delete rule inet pt c handle 4', '# new generation 91 by process 4242 (nft)');
    assert.equal(told, 1);
    const r = await t.apply();
    assert.deepEqual({ read: r.read, wrote: r.wrote }, { read: true, wrote: true });
    assert.deepEqual(nft.state.chains.get('c')!.rules.map((x) => x.body), ['counter drop']);
    t.close();
  });

  it('apply() pauses the monitor during large transactions and then no longer trusts it until a read-back', async () => {
    const nft = new FakeNft();
    const timers = fakeTimers();
    const t = new NftTable({ exec: nft.exec, name: 'pt', timers, refreshIntervalMs: 1000, monitorPauseCommands: 3 });
    t.setChain({ name: 'c', rules: [] });
    await t.apply();
    timers.advance(1000);
    await t.apply(); // read-back: the monitor is trusted from here
    let seen = nft.monitorsRunning;
    t.setChain({ name: 'big', rules: [{ body: 'counter' }, { body: 'counter' }, { body: 'counter' }] });
    const streams: number[] = [];
    const run = nft.exec.run.bind(nft.exec);
    nft.exec.run = (argv, o) => {
      streams.push(nft.monitorsRunning);
      return run(argv, o);
    };
    await t.apply();
    assert.deepEqual({ before: seen, during: streams, after: nft.monitorsRunning }, { before: 1, during: [0], after: 1 });
    timers.advance(1000);
    seen = nft.lists;
    assert.equal((await t.apply()).read, true, 'the refresh after the pause reads');
    assert.equal(nft.lists, seen + 1);
    t.close();
  });

  it('apply() restarts a dead monitor and reads at the next refresh instead of at once', async () => {
    const nft = new FakeNft();
    const timers = fakeTimers();
    let told = 0;
    const t = new NftTable({ exec: nft.exec, name: 'pt', timers, refreshIntervalMs: 1000, onForeignChange: () => told++ });
    t.setChain({ name: 'c', rules: [] });
    await t.apply();
    timers.advance(1000);
    await t.apply();
    nft.killMonitors();
    assert.equal(told, 0);
    assert.equal((await t.apply()).read, false);
    assert.equal(nft.monitorsRunning, 1, 'restarted');
    timers.advance(1000);
    const r = await t.apply();
    assert.deepEqual({ read: r.read, skipped: r.refreshSkipped }, { read: true, skipped: false });
    t.close();
  });

  it('renderDesired() prints the table in block syntax with the same hashes the transactions carry', async () => {
    const nft = new FakeNft();
    const t = populated(nft);
    const text = t.renderDesired();
    assert.match(text, /^table inet pt \{\n\tset src4 \{\n\t\ttype ifname \. ipv4_addr\n\t\tflags interval\n\t\telements = \{ "tap1" \. 10\.0\.0\.1, "tap1" \. 10\.1\.0\.0\/16 \}\n\t\}\n\tmap to-wl \{\n\t\ttype ifname : verdict\n\t\telements = \{ "tap1" : goto tw-tap1 \}\n\t\}\n/);
    assert.match(text, /\tchain dispatch \{\n\t\toifname vmap @to-wl comment "pc:[A-Za-z0-9_-]{16}"\n\t\tcounter drop comment "pc:[A-Za-z0-9_-]{16}; Unknown interface"\n\t\}/);
    await t.apply();
    for (const m of text.matchAll(/comment "(pc:[^"]+)"/g)) assert.ok(nft.transactions[0]!.includes(m[1]!), m[1]);
  });
});
