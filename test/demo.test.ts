/**
 * The README's main command, minus installation: `percale demo` starts a real local
 * etcd, loads the two-region example with the real calicoctl and shows it; the
 * datastore then keeps running until `percale datastore stop`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { freePort } from '@percale/datastore';

const root = join(import.meta.dirname, '..');
const percale = join(root, 'node_modules/.bin/percale');
const calicoctl = join(root, 'node_modules/.bin/calicoctl');
const stateDir = mkdtempSync('/dev/shm/percale-demo-');

after(() => {
  spawnSync(percale, ['datastore', 'stop', '--state-dir', stateDir]);
  rmSync(stateDir, { recursive: true, force: true });
});

it('percale demo loads the two-region example into a local etcd and prints it', async () => {
  const port = await freePort();
  const run = spawnSync(percale, ['demo', '--state-dir', stateDir, '--port', String(port)], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(run.status, 0, run.stderr + run.stdout);
  assert.match(run.stdout, /Successfully applied 9 resource\(s\)/);
  assert.match(run.stdout, /openstack-region-two +ossg\.default\.85cc3048-abc3-43cc-89b3-377341426ac5/);
  assert.match(run.stdout, /r1-compute-1 +10\.65\.0\.10\/32 +tap8e80eb60-ca/);

  // The datastore outlives the demo, so operators can keep using calicoctl against it.
  const status = spawnSync(percale, ['datastore', 'status', '--state-dir', stateDir], { encoding: 'utf8' });
  assert.equal(status.status, 0, status.stdout);
  const get = spawnSync(calicoctl, ['get', 'gnp', 'allow-tcp-80', '-o', 'json'], {
    encoding: 'utf8',
    env: { ...process.env, ETCD_ENDPOINTS: `http://127.0.0.1:${port}` },
  });
  assert.equal(get.status, 0, get.stderr);
  assert.equal(JSON.parse(get.stdout).spec.ingress[0].destination.ports[0], 80);

  const again = spawnSync(percale, ['demo', '--state-dir', stateDir, '--port', String(port)], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(again.status, 0, 'the demo is safe to run twice: ' + again.stderr);
  assert.match(again.stdout, /Successfully applied 9 resource\(s\)/);
});
