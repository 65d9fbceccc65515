/**
 * Tests of BIRD supervision with a stand-in binary (a shell script that records its arguments
 * and sleeps), so restarts can be provoked by killing it.
 */
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { SILENT_LOGGER } from '@percale/daemon';
import { BirdSupervisor } from './bird-supervisor.ts';

describe('BirdSupervisor', () => {
  let dir: string;
  let binary: string;
  const runs = async () => (await readFile(join(dir, 'runs'), 'utf8').catch(() => '')).split('\n').filter(Boolean);
  const waitFor = async (check: () => Promise<boolean>) => {
    for (let i = 0; i < 100 && !(await check()); i++) await delay(20);
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bird-supervisor-'));
    binary = join(dir, 'fake-bird');
    await writeFile(binary, `#!/bin/sh\necho "$*" >> '${join(dir, 'runs')}'\nexec sleep 30\n`);
    await chmod(binary, 0o755);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('start() runs BIRD in the foreground, restarts it in recovery after it dies, and stop() ends it for good', async () => {
    const sup = new BirdSupervisor({
      binary, configPath: join(dir, 'bird.conf'), socketPath: join(dir, 'run', 'bird.ctl'), pidPath: join(dir, 'run', 'bird.pid'),
      log: SILENT_LOGGER, minBackoffMs: 20,
    });
    sup.start({ recovery: false });
    await waitFor(async () => (await runs()).length === 1 && sup.status.pid !== undefined);
    assert.deepEqual(await runs(), [`-f -c ${join(dir, 'bird.conf')} -s ${join(dir, 'run', 'bird.ctl')} -P ${join(dir, 'run', 'bird.pid')}`]);
    const first = sup.status.pid!;
    process.kill(first, 'SIGKILL');
    await waitFor(async () => (await runs()).length === 2 && sup.status.running && sup.status.pid !== first);
    const second = await runs();
    assert.match(second[1]!, /^-f -R -c /, 'a restart keeps the routes the dead BIRD left: recovery mode');
    assert.equal(sup.status.restarts, 1);
    assert.equal(sup.status.lastExit, 'killed by SIGKILL');
    await sup.stop();
    assert.equal(sup.status.running, false);
    await delay(100);
    assert.equal((await runs()).length, 2, 'no restart after stop()');
  });
});
