import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Exec, ExecResult } from './exec.ts';
import { NetnsSysctl, ProcSysFiles } from './sysctl.ts';

describe('ProcSysFiles', () => {
  let root = '';
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'percale-sysctl-'));
    await mkdir(join(root, 'net/ipv4/conf/tap1'), { recursive: true });
    await writeFile(join(root, 'net/ipv4/conf/tap1/proxy_arp'), '0\n');
    await writeFile(join(root, 'net/ipv4/conf/tap1/forwarding'), '0\n');
  });
  after(async () => rm(root, { recursive: true, force: true }));

  it('write() writes existing files and reports, without creating, the missing ones', async () => {
    const sysctls = new ProcSysFiles(root);
    const failures = await sysctls.write([
      { key: 'net/ipv4/conf/tap1/proxy_arp', value: '1' },
      { key: 'net/ipv4/conf/tap9/proxy_arp', value: '1' },
      { key: 'net/ipv4/conf/tap1/forwarding', value: '1' },
    ]);
    assert.deepEqual([...failures.keys()], ['net/ipv4/conf/tap9/proxy_arp']);
    assert.match(failures.get('net/ipv4/conf/tap9/proxy_arp')!, /ENOENT/);
    assert.equal((await readFile(join(root, 'net/ipv4/conf/tap1/proxy_arp'), 'utf8')).trim(), '1');
    assert.equal(await sysctls.read('net/ipv4/conf/tap1/forwarding'), '1');
    assert.equal(await sysctls.read('net/ipv4/conf/tap9/forwarding'), undefined);
  });

  it('write() refuses a key that leaves the sysctl tree', async () => {
    await assert.rejects(new ProcSysFiles(root).write([{ key: 'net/../../etc/passwd', value: 'x' }]), RangeError);
    await assert.rejects(new ProcSysFiles(root).read('/etc/passwd'), RangeError);
  });
});

describe('NetnsSysctl', () => {
  function fakeExec(result: ExecResult) {
    const calls: (readonly string[])[] = [];
    const exec: Exec = {
      async run(argv) { calls.push(argv); return result; },
      streamLines() { return { stop() {} }; },
    };
    return { exec, calls };
  }

  it('write() passes keys and values as arguments of one shell in the namespace and maps failures back', async () => {
    const { exec, calls } = fakeExec({ exitCode: 0, stdout: 'net/ipv4/conf/tap9/proxy_arp\n', stderr: 'sh: 1: cannot create /proc/sys/net/ipv4/conf/tap9/proxy_arp: Directory nonexistent\n' });
    const sysctls = new NetnsSysctl({ netns: 'percale-t-x', exec });
    const failures = await sysctls.write([{ key: 'net/ipv4/conf/tap1/proxy_arp', value: '1' }, { key: 'net/ipv4/conf/tap9/proxy_arp', value: '1' }]);
    assert.deepEqual(calls[0]!.slice(0, 6), ['ip', 'netns', 'exec', 'percale-t-x', 'sh', '-c']);
    assert.deepEqual(calls[0]!.slice(7), ['sh', 'net/ipv4/conf/tap1/proxy_arp', '1', 'net/ipv4/conf/tap9/proxy_arp', '1']);
    assert.deepEqual([...failures], [['net/ipv4/conf/tap9/proxy_arp', 'sh: 1: cannot create /proc/sys/net/ipv4/conf/tap9/proxy_arp: Directory nonexistent']]);
  });

  it('write() runs nothing for no settings', async () => {
    const { exec, calls } = fakeExec({ exitCode: 0, stdout: '', stderr: '' });
    assert.equal((await new NetnsSysctl({ netns: 'n', exec }).write([])).size, 0);
    assert.equal(calls.length, 0);
  });
});
