import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ConfigFileMissingError, ConnectionConfigError, DEFAULT_CONFIG_PATH, loadConnectionConfig } from './connection-config.ts';

const dir = mkdtempSync(join(tmpdir(), 'percale-calicoctl-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

// The environment is only read when the default file does not exist on this machine.
const noDefaultFile = { skip: existsSync(DEFAULT_CONFIG_PATH) ? `${DEFAULT_CONFIG_PATH} exists` : false };

test('loadConnectionConfig() reads the environment when the default file is absent, CALICO_ prefix winning', noDefaultFile, async () => {
  const config = await loadConnectionConfig({
    env: { ETCD_ENDPOINTS: 'http://10.0.0.1:2379', CALICO_ETCD_ENDPOINTS: 'http://10.0.0.2:2379,http://10.0.0.3:2379', ETCD_CA_CERT_FILE: '/ca.pem' },
  });
  assert.deepEqual(config.etcdEndpoints, ['http://10.0.0.2:2379', 'http://10.0.0.3:2379']);
  assert.equal(config.etcdCACertFile, '/ca.pem');
  assert.equal(config.source, 'environment');
  assert.ok(Object.isFrozen(config));
});

test('loadConnectionConfig() defaults to etcd on 127.0.0.1:2379 when nothing is configured', noDefaultFile, async () => {
  const config = await loadConnectionConfig({ env: {} });
  assert.deepEqual(config.etcdEndpoints, ['http://127.0.0.1:2379']);
  assert.equal(config.source, 'default');
});

test('loadConnectionConfig() uses an existing file as the only source', async () => {
  const path = file('calicoctl.cfg', 'apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nmetadata:\nspec:\n  datastoreType: "etcdv3"\n  etcdEndpoints: "https://10.0.0.1:2379"\n  etcdKeyFile: /k.pem\n');
  const config = await loadConnectionConfig({ configPath: path, env: { ETCD_ENDPOINTS: 'http://ignored:2379' } });
  assert.deepEqual(config.etcdEndpoints, ['https://10.0.0.1:2379']);
  assert.equal(config.etcdKeyFile, '/k.pem');
  assert.equal(config.source, 'file');
});

test('loadConnectionConfig() refuses a missing explicit file', async () => {
  await assert.rejects(loadConnectionConfig({ configPath: join(dir, 'nope.cfg'), env: {} }), (err: unknown) => err instanceof ConfigFileMissingError && err.message === `Error reading config file: ${join(dir, 'nope.cfg')}`);
});

const invalid: [string, string, RegExp][] = [
  ['wrong apiVersion', 'apiVersion: v1\nkind: CalicoAPIConfig\n', /^invalid config file: unknown APIVersion 'v1'$/],
  ['wrong kind', 'apiVersion: projectcalico.org/v3\nkind: Config\n', /^invalid config file: expected kind 'CalicoAPIConfig', got 'Config'$/],
  ['unknown spec field', 'apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nspec:\n  etcdEndpoint: x\n', /^syntax error in .*: failed to parse config as YAML\/JSON: unknown field "etcdEndpoint"$/],
  ['kubernetes datastore', 'apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nspec:\n  datastoreType: kubernetes\n', /datastore type "kubernetes" is not supported: Percale's calicoctl works with the etcdv3 datastore only/],
  ['endpoints and SRV together', 'apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nspec:\n  etcdEndpoints: http://a:2379\n  etcdDiscoverySrv: example.com\n', /multiple discovery or bootstrap options specified/],
  ['inline and file TLS together', 'apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nspec:\n  etcdKey: PEM\n  etcdCertFile: /c.pem\n', /^Cannot mix inline certificate-key and certificate \/ key files$/],
  ['bad YAML', 'apiVersion: [\n', /^syntax error in .*: failed to parse config as YAML\/JSON: yaml: /],
];

for (const [name, text, message] of invalid) {
  test(`loadConnectionConfig() rejects a config file with ${name}`, async () => {
    await assert.rejects(loadConnectionConfig({ configPath: file(`${name.replace(/\W+/g, '-')}.cfg`, text), env: {} }), (err: unknown) => err instanceof ConnectionConfigError && message.test(err.message));
  });
}

test('loadConnectionConfig() reads host:port as plain HTTP and rejects what is no URL', noDefaultFile, async () => {
  assert.deepEqual((await loadConnectionConfig({ env: { ETCD_ENDPOINTS: '10.0.0.1:2379, https://b:2379' } })).etcdEndpoints, ['http://10.0.0.1:2379', 'https://b:2379']);
  await assert.rejects(loadConnectionConfig({ env: { ETCD_ENDPOINTS: 'ftp://x:21' } }), { message: 'invalid etcd endpoint "ftp://x:21": expected a URL such as http://127.0.0.1:2379 or https://etcd.example.com:2379' });
  await assert.rejects(loadConnectionConfig({ env: { ETCD_ENDPOINTS: 'http://[bad' } }), /invalid etcd endpoint/);
});

test('loadConnectionConfig() rejects DATASTORE_TYPE=kubernetes from the environment', noDefaultFile, async () => {
  await assert.rejects(loadConnectionConfig({ env: { DATASTORE_TYPE: 'kubernetes' } }), /is not supported/);
});
