/**
 * Tests of the daemon loop with the in-memory datastore, a real configuration file in a
 * temporary directory, a stand-in renderer and parser check, and a fake BIRD.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { Resource } from '@percale/api';
import { MemoryStore } from '@percale/datastore';
import { BirdConfigRejectedError } from '../bird/check-bird-config.ts';
import { BgpDaemon, type BgpSnapshot, type BirdPort } from './bgp-daemon.ts';
import { ConfigInstaller } from './config-installer.ts';
import { BirdCommandError, SILENT_LOGGER } from '@percale/daemon';
import type { BgpStatus } from './status-file.ts';

const v3 = 'projectcalico.org/v3';
const node = (name: string, ip: string): Resource => ({ apiVersion: v3, kind: 'Node', metadata: { name }, spec: { bgp: { ipv4Address: `${ip}/24` } } });
const pool = (name: string, cidr: string): Resource => ({ apiVersion: v3, kind: 'IPPool', metadata: { name }, spec: { cidr } });

/** A renderer whose output lists what it saw; a pool named `bad` renders text the fake parser refuses. */
function render(s: BgpSnapshot): string {
  return [`# ${s.nodeName}`, ...s.nodes.map((n) => `node ${n.metadata.name}`), ...s.pools.map((p) => `pool ${p.metadata.name}`), ''].join('\n');
}
async function check(path: string): Promise<void> {
  if ((await readFile(path, 'utf8')).includes('pool bad')) throw new BirdConfigRejectedError(path, `${path}:3:1 syntax error, unexpected CF_SYM_UNDEFINED`);
}

describe('BgpDaemon', () => {
  let dir: string;
  let store: MemoryStore;
  let daemon: BgpDaemon | undefined;
  let configures: number;
  let configureError: Error | undefined;
  let statuses: BgpStatus[];
  let started: number;
  let renders: number;

  const bird = (managed: boolean): BirdPort => ({
    socketPath: '/nonexistent/bird.ctl',
    configure: async () => {
      configures++;
      if (configureError) throw configureError;
      return 'Reconfigured';
    },
    showProtocols: async () => [],
    ...(managed && {
      supervisor: {
        get started() {
          return started > 0;
        },
        status: { running: true, pid: 1, restarts: 0, lastExit: undefined },
        start: () => void started++,
      },
    }),
  });

  const makeDaemon = (managed = false) => {
    daemon = new BgpDaemon({
      store, nodeName: 'compute-1', bird: bird(managed), log: SILENT_LOGGER,
      render: (s) => {
        renders++;
        const text = render(s);
        return s.pools.some((p) => p.metadata.name === 'ipip') ? { text, warnings: ['IPIP routes cannot be programmed by BIRD 2'] } : text;
      },
      installer: new ConfigInstaller({ path: join(dir, 'bird.conf'), check }),
      publish: (s) => statuses.push(s),
      coalesceMs: 30, protocolPollMs: 0, minRetryMs: 20,
    });
    return daemon;
  };
  const settle = async () => {
    await delay(60);
    await daemon!.idle();
  };
  const installed = () => readFile(join(dir, 'bird.conf'), 'utf8');

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bgp-daemon-'));
    store = new MemoryStore();
    configures = 0;
    configureError = undefined;
    statuses = [];
    started = 0;
    renders = 0;
  });
  afterEach(async () => {
    await daemon?.stop();
    daemon = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('start() renders the synced state once, installs it and reconfigures BIRD', async () => {
    await store.create(node('compute-1', '10.0.0.11'));
    await store.create(pool('p1', '10.65.0.0/16'));
    await makeDaemon().start();
    await settle();
    assert.equal(await installed(), '# compute-1\nnode compute-1\npool p1\n');
    assert.equal(configures, 1);
    assert.equal(renders, 1, 'the snapshot is rendered once, after in-sync');
    assert.equal(daemon!.status.healthy, true);
    assert.equal(statuses.at(-1)!.lastReload?.result, 'Reconfigured');
  });

  it('render warnings are published in the status until a render has none', async () => {
    await store.create(pool('ipip', '10.70.0.0/16'));
    await makeDaemon().start();
    await settle();
    assert.deepEqual(statuses.at(-1)!.renderWarnings, ['IPIP routes cannot be programmed by BIRD 2']);
    await store.delete({ kind: 'IPPool', name: 'ipip' });
    await settle();
    assert.deepEqual(statuses.at(-1)!.renderWarnings, []);
  });

  it('a burst of changes is coalesced into few renders and one reload', async () => {
    await makeDaemon().start();
    await settle();
    const before = { renders, configures };
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.create(node(`n${i}`, `10.0.1.${i + 1}`))));
    await settle();
    assert.ok(renders - before.renders <= 2, `renders for 20 changes: ${renders - before.renders}`);
    assert.equal(configures - before.configures, 1);
    assert.match(await installed(), /node n19/);
  });

  it('a change that renders the same text reloads nothing', async () => {
    await store.create(node('compute-1', '10.0.0.11'));
    await makeDaemon().start();
    await settle();
    const current = await store.get({ kind: 'Node', name: 'compute-1' });
    await store.update({ ...current, metadata: { ...current.metadata, labels: { x: 'y' } } });
    await settle();
    assert.equal(renders, 2);
    assert.equal(configures, 1);
  });

  it('a configuration BIRD\'s parser rejects is reported and the installed one stays; a later fix clears the error', async () => {
    await makeDaemon().start();
    await store.create(pool('good', '10.65.0.0/16'));
    await settle();
    const good = await installed();
    await store.create(pool('bad', '10.66.0.0/16'));
    await settle();
    assert.equal(await installed(), good, 'the installed file is untouched');
    assert.equal(configures, 1, 'BIRD is not asked to reload');
    assert.equal(daemon!.status.healthy, false);
    assert.equal(daemon!.status.lastError?.stage, 'check');
    const rejected = join(dir, 'bird.conf.rejected');
    assert.equal(daemon!.status.lastError!.message, `BIRD rejected the configuration "${rejected}": ${rejected}:3:1 syntax error, unexpected CF_SYM_UNDEFINED`);
    assert.match(await readFile(rejected, 'utf8'), /pool bad/, 'the refused text is kept where the message points');
    await store.delete({ kind: 'IPPool', name: 'bad' });
    await settle();
    assert.equal(daemon!.status.healthy, true);
    assert.equal(daemon!.status.lastError, undefined);
  });

  it('a reload BIRD refuses puts the previous file back', async () => {
    await makeDaemon().start();
    await store.create(pool('p1', '10.65.0.0/16'));
    await settle();
    const good = await installed();
    configureError = new BirdCommandError('configure', { code: 8002, lines: [{ code: 8002, text: 'bird.conf:9:1 Neighbor address must be set' }] });
    await store.create(pool('p2', '10.67.0.0/16'));
    await settle();
    assert.equal(await installed(), good);
    assert.equal(daemon!.status.lastError?.stage, 'reload');
    assert.match(daemon!.status.lastError!.message, /Neighbor address must be set/);
  });

  it('a BIRD that cannot be reached is retried with back-off until it answers', async () => {
    configureError = new Error('connect ENOENT');
    await makeDaemon().start();
    // idle() waits for retries too, so only time tells here.
    await delay(150);
    assert.equal(daemon!.status.lastError?.stage, 'reload');
    configureError = undefined;
    await delay(150);
    await daemon!.idle();
    assert.equal(daemon!.status.healthy, true);
    assert.ok(configures >= 2);
  });

  it('a managed BIRD is started on the first installed file, or at once on a file installed before', async () => {
    await makeDaemon(true).start();
    assert.equal(started, 0, 'no file yet: BIRD waits for the first render');
    await settle();
    assert.equal(started, 1);
    assert.equal(configures, 0, 'a fresh BIRD reads the file; no configure needed');
    await daemon!.stop();
    await writeFile(join(dir, 'bird.conf'), '# compute-1\n');
    started = 0;
    await makeDaemon(true).start();
    assert.equal(started, 1, 'an installed file lets BIRD start before the datastore is read');
  });
});
