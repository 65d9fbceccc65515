import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConntrackTool, isConntrackMissing } from './conntrack.ts';
import { ExecError, type Exec, type ExecResult } from './exec.ts';
import { isKernelCommandError } from './kernel-command-error.ts';

function fakeExec(results: ExecResult[]) {
  const calls: string[] = [];
  const exec: Exec = {
    async run(argv) { calls.push(argv.join(' ')); return results.shift() ?? { exitCode: 0, stdout: '', stderr: '' }; },
    streamLines() { return { stop() {} }; },
  };
  return { exec, calls };
}

describe('ConntrackTool', () => {
  it('deleteFlowsOf() deletes by original and by reply source, treating "0 flow entries" as success', async () => {
    const none = { exitCode: 1, stdout: '', stderr: 'conntrack v1.4.7 (conntrack-tools): 0 flow entries have been deleted.\n' };
    const { exec, calls } = fakeExec([none, none]);
    await new ConntrackTool({ exec, netns: 'percale-t-x' }).deleteFlowsOf(6, 'fd00::2');
    assert.deepEqual(calls, [
      'ip netns exec percale-t-x conntrack --family ipv6 --delete --orig-src fd00::2',
      'ip netns exec percale-t-x conntrack --family ipv6 --delete --reply-src fd00::2',
    ]);
  });

  it('deleteFlowsOf() throws KernelCommandError for a real failure', async () => {
    const { exec } = fakeExec([{ exitCode: 1, stdout: '', stderr: 'conntrack v1.4.7 (conntrack-tools): Operation failed: Operation not permitted\n' }]);
    await assert.rejects(new ConntrackTool({ exec }).deleteFlowsOf(4, '10.65.0.2'), (err: unknown) => isKernelCommandError(err) && !isConntrackMissing(err));
  });

  it('isConntrackMissing() recognises a missing program, started directly or in a namespace', async () => {
    assert.equal(isConntrackMissing(new ExecError(['conntrack'], 'spawn conntrack ENOENT')), true);
    const { exec } = fakeExec([{ exitCode: 1, stdout: '', stderr: 'exec of "conntrack" failed: No such file or directory\n' }]);
    await assert.rejects(new ConntrackTool({ exec, netns: 'n' }).deleteFlowsOf(4, '10.65.0.2'), (err: unknown) => isConntrackMissing(err));
    assert.equal(isConntrackMissing(new Error('spawn conntrack ENOENT')), false);
  });
});
