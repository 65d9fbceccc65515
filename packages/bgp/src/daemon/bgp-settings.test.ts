/**
 * Tests of where `percale bgp` finds its node name and etcd connection: calico-node's
 * environment first, then the agent's FELIX_* variables and felix.cfg, then defaults.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BgpSettingsError, loadBgpSettings, parseFelixCfgKeys } from './bgp-settings.ts';

describe('loadBgpSettings()', () => {
  let dir: string;
  let cfg: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bgp-settings-'));
    cfg = join(dir, 'felix.cfg');
    await writeFile(cfg, '[global]\nFelixHostname = compute-7  # the Nova host\nEtcdEndpoints: unix:///run/etcd.sock:0\nEtcdCaFile = "/etc/ca.pem"\n');
  });
  after(() => rm(dir, { recursive: true, force: true }));
  const hostname = () => 'Compute-Host';

  const cases: [string, NodeJS.ProcessEnv, boolean, { nodeName: string; endpoints: string[]; caFile?: string }][] = [
    ['calico-node environment wins', { NODENAME: 'n1', ETCD_ENDPOINTS: 'http://10.0.0.1:2379,http://10.0.0.2:2379' }, true,
      { nodeName: 'n1', endpoints: ['http://10.0.0.1:2379', 'http://10.0.0.2:2379'], caFile: '/etc/ca.pem' }],
    ['felix.cfg as the agent reads it', {}, true, { nodeName: 'compute-7', endpoints: ['unix:///run/etcd.sock:0'], caFile: '/etc/ca.pem' }],
    ['FELIX_ variables over felix.cfg', { FELIX_FELIXHOSTNAME: 'n2', FELIX_ETCDADDR: '10.0.0.9:2379', FELIX_ETCDSCHEME: 'https', FELIX_ETCDENDPOINTS: '' }, true,
      { nodeName: 'n2', endpoints: ['unix:///run/etcd.sock:0'], caFile: '/etc/ca.pem' }],
    ['defaults: lower-cased hostname, local etcd', {}, false, { nodeName: 'compute-host', endpoints: ['http://127.0.0.1:2379'] }],
    ['EtcdScheme + EtcdAddr', { FELIX_ETCDADDR: '10.0.0.9:2379', FELIX_ETCDSCHEME: 'https' }, false, { nodeName: 'compute-host', endpoints: ['https://10.0.0.9:2379'] }],
  ];
  for (const [name, env, withFile, expected] of cases) {
    it(`loadBgpSettings() ${name}`, async () => {
      const s = await loadBgpSettings({ FELIX_CONFIGFILE: join(dir, 'absent.cfg'), ...env }, withFile ? cfg : undefined, hostname);
      assert.equal(s.nodeName, expected.nodeName);
      assert.deepEqual(s.etcd.endpoints, expected.endpoints);
      assert.equal(s.etcd.tls?.caFile, expected.caFile);
    });
  }

  it('loadBgpSettings() rejects what cannot work, naming it', async () => {
    await assert.rejects(loadBgpSettings({ ETCD_ENDPOINTS: '10.0.0.1:2379' }, undefined, hostname), /Invalid etcd endpoint "10.0.0.1:2379" \(from ETCD_ENDPOINTS\)/);
    await assert.rejects(loadBgpSettings({ ETCD_CERT_FILE: '/c.pem' }, join(dir, 'absent.cfg'), hostname), BgpSettingsError);
    await assert.rejects(loadBgpSettings({ ETCD_CERT_FILE: '/c.pem', FELIX_CONFIGFILE: join(dir, 'absent.cfg') }, undefined, hostname), /certificate and key must be given together/);
  });

  it('loadBgpSettings() rejects a felix.cfg the agent could not read either, naming file and line', async () => {
    const bad = join(dir, 'bad.cfg');
    await writeFile(bad, '[global]\nEtcdEndpoints = http://10.0.0.1:2379\nFelixHostname\n');
    await assert.rejects(loadBgpSettings({}, bad, hostname), (err: unknown) =>
      err instanceof BgpSettingsError && err.message === `Cannot read the configuration file "${bad}": felix.cfg line 3: key-value delimiter not found: FelixHostname`);
  });

  it('parseFelixCfgKeys() reads sections, both delimiters, comments and quotes', () => {
    assert.deepEqual([...parseFelixCfgKeys('# c\n[global]\nA = 1 ; x\nb: "two"\n[other]\na = 3\n')], [['a', '3'], ['b', 'two']]);
  });
});
