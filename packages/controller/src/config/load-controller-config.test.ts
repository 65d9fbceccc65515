import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from './config-error.ts';
import { loadControllerConfig, normaliseKeystoneUrl } from './load-controller-config.ts';

/** Writes `files` (name → text) into a fresh temporary directory; returns its path and a cleanup. */
function tempConfig(t: { after: (fn: () => void) => void }, files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'percale-controller-config-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const NOAUTH = '[DEFAULT]\nauth_strategy = noauth\n';

test('loadControllerConfig() applies networking-calico defaults to an almost empty file', (t) => {
  const dir = tempConfig(t, { 'neutron.conf': NOAUTH });
  const config = loadControllerConfig({ configFiles: [join(dir, 'neutron.conf')], hostname: 'controller-1' });
  assert.deepEqual(config, {
    files: [join(dir, 'neutron.conf')],
    etcd: { endpoints: ['http://127.0.0.1:2379'], host: '127.0.0.1', port: 2379, timeoutSeconds: 60 },
    region: undefined,
    regionString: 'no-region',
    namespace: 'openstack',
    election: { electorName: 'controller-1', ttlSeconds: 60, refreshSeconds: 10 },
    startupResync: 'always',
    projectNameCacheMax: 100,
    compaction: { periodMinutes: 60, minRevisions: 1000 },
    qos: {
      maxIngressConnectionsPerPort: 0, maxEgressConnectionsPerPort: 0,
      ingressBurstBits: 4294967296, egressBurstBits: 4294967296,
      ingressMinburstBytes: 0, egressMinburstBytes: 0,
      ingressBurstPackets: 5, egressBurstPackets: 5,
    },
    auth: { strategy: 'noauth' },
    neutronApiUrl: 'http://127.0.0.1:9696',
    messaging: {
      notifications: { drivers: [], topics: ['notifications'], exchange: 'neutron' },
      rpc: { exchange: 'neutron' },
      rabbit: { durableQueues: false, autoDelete: false },
    },
  });
});

test('loadControllerConfig() reads a full neutron.conf with Keystone, TLS etcd, region and messaging', (t) => {
  const dir = tempConfig(t, {
    'neutron.conf': `
[DEFAULT]
bind_host = 192.0.2.10
bind_port = 19696
transport_url = rabbit://neutron:secret@192.0.2.20:5672/
control_exchange = openstack

[calico]
etcd_host = etcd.example.org
etcd_port = 2378
etcd_ca_cert_file = /etc/calico/ca.pem
etcd_cert_file = /etc/calico/cert.pem
etcd_key_file = /etc/calico/key.pem
etcd_username = neutron
etcd_password = hunter2
etcd_timeout = 30
openstack_region = europe
elector_name = ctl-a
startup_resync = never
project_name_cache_max = 500
max_ingress_connections_per_port = 10
max_egress_connections_per_port = 20
ingress_burst_bits = 31000
egress_burst_bits = 41000
ingress_minburst_bytes = 1651
egress_minburst_bytes = 1761
ingress_burst_packets = 81
egress_burst_packets = 91
election_ttl_secs = 6
election_refresh_secs = 2
etcd_compaction_period_mins = 0
some_future_option = ignored

[keystone_authtoken]
auth_url = http://keystone.example.org:5000/v3/
username = neutron
password = secret
project_name = service
user_domain_name = Default
project_domain_name = Default

[oslo_messaging_notifications]
driver = messagingv2
topics = notifications, notifications_designate
transport_url = rabbit://notify:secret@192.0.2.21:5672/

[oslo_messaging_rabbit]
amqp_durable_queues = True
`,
  });
  const config = loadControllerConfig({ configFiles: [join(dir, 'neutron.conf')], hostname: 'unused' });
  assert.deepEqual(config.etcd, {
    endpoints: ['https://etcd.example.org:2378'], host: 'etcd.example.org', port: 2378,
    tls: { caFile: '/etc/calico/ca.pem', certFile: '/etc/calico/cert.pem', keyFile: '/etc/calico/key.pem' },
    username: 'neutron', password: 'hunter2', timeoutSeconds: 30,
  });
  assert.equal(config.region, 'europe');
  assert.equal(config.regionString, 'region-europe');
  assert.equal(config.namespace, 'openstack-region-europe');
  assert.deepEqual(config.election, { electorName: 'ctl-a', ttlSeconds: 6, refreshSeconds: 2 });
  assert.equal(config.startupResync, 'never');
  assert.equal(config.projectNameCacheMax, 500);
  assert.deepEqual(config.compaction, { periodMinutes: 0, minRevisions: 1000 });
  assert.deepEqual(config.qos, {
    maxIngressConnectionsPerPort: 10, maxEgressConnectionsPerPort: 20, ingressBurstBits: 31000, egressBurstBits: 41000,
    ingressMinburstBytes: 1651, egressMinburstBytes: 1761, ingressBurstPackets: 81, egressBurstPackets: 91,
  });
  assert.deepEqual(config.auth, {
    strategy: 'keystone',
    keystone: {
      authUrl: 'http://keystone.example.org:5000/v3', username: 'neutron', password: 'secret',
      projectName: 'service', userDomainName: 'Default', projectDomainName: 'Default',
    },
  });
  assert.equal(config.neutronApiUrl, 'http://192.0.2.10:19696');
  assert.deepEqual(config.messaging, {
    notifications: {
      transportUrl: 'rabbit://notify:secret@192.0.2.21:5672/', drivers: ['messagingv2'],
      topics: ['notifications', 'notifications_designate'], exchange: 'openstack',
    },
    rpc: { transportUrl: 'rabbit://neutron:secret@192.0.2.20:5672/', exchange: 'openstack' },
    rabbit: { durableQueues: true, autoDelete: false },
  });
});

test('loadControllerConfig() layers --config-file in order, then --config-dir *.conf sorted, then OS_ variables', (t) => {
  const dir = tempConfig(t, {
    'neutron.conf': `${NOAUTH}[calico]\netcd_host = from-neutron-conf\netcd_port = 1111\nopenstack_region = base\n`,
    'ml2_conf.ini': '[calico]\netcd_port = 2222\n',
    'neutron.conf.d/20-b.conf': '[calico]\netcd_host = from-20\n',
    'neutron.conf.d/10-a.conf': '[calico]\netcd_host = from-10\nelector_name = from-10\n',
    'neutron.conf.d/30-c.txt': '[calico]\netcd_host = not-a-conf-file\n',
  });
  const config = loadControllerConfig({
    configFiles: [join(dir, 'neutron.conf'), join(dir, 'ml2_conf.ini')],
    configDirs: [join(dir, 'neutron.conf.d')],
    env: { OS_CALICO__OPENSTACK_REGION: 'from-env', PATH: '/usr/bin' },
  });
  assert.deepEqual(config.files, [
    join(dir, 'neutron.conf'), join(dir, 'ml2_conf.ini'), join(dir, 'neutron.conf.d/10-a.conf'), join(dir, 'neutron.conf.d/20-b.conf'),
  ]);
  assert.equal(config.etcd.host, 'from-20');
  assert.equal(config.etcd.port, 2222);
  assert.equal(config.election.electorName, 'from-10');
  assert.equal(config.namespace, 'openstack-region-from-env');
});

test('loadControllerConfig() derives the Neutron API URL from bind_host/bind_port or takes [calico] neutron_api_url', (t) => {
  const cases: Array<[string, string]> = [
    ['', 'http://127.0.0.1:9696'],
    ['bind_host = 0.0.0.0\n', 'http://127.0.0.1:9696'],
    ['bind_host = ::\nbind_port = 9797\n', 'http://127.0.0.1:9797'],
    ['bind_host = fd00::10\n', 'http://[fd00::10]:9696'],
    ['bind_host = 10.1.2.3\n[calico]\nneutron_api_url = https://neutron.example.org:9696/\n', 'https://neutron.example.org:9696'],
  ];
  for (const [extra, url] of cases) {
    const dir = tempConfig(t, { 'neutron.conf': `${NOAUTH}${extra}` });
    assert.equal(loadControllerConfig({ configFiles: [join(dir, 'neutron.conf')] }).neutronApiUrl, url, extra);
  }
});

test('loadControllerConfig() takes the notification transport from [DEFAULT] when its own section has none', (t) => {
  const dir = tempConfig(t, { 'neutron.conf': `${NOAUTH}transport_url = rabbit://a@h:5672/\n[oslo_messaging_notifications]\ndriver = messagingv2\n` });
  const { messaging } = loadControllerConfig({ configFiles: [join(dir, 'neutron.conf')] });
  assert.equal(messaging.notifications.transportUrl, 'rabbit://a@h:5672/');
  assert.equal(messaging.rpc.transportUrl, 'rabbit://a@h:5672/');
});

test('normaliseKeystoneUrl() ends the URL in exactly one /v3', () => {
  const cases: Array<[string, string]> = [
    ['http://ks:5000', 'http://ks:5000/v3'],
    ['http://ks:5000/', 'http://ks:5000/v3'],
    ['http://ks:5000/v3', 'http://ks:5000/v3'],
    ['http://ks:5000/v3/', 'http://ks:5000/v3'],
    ['http://ks/identity', 'http://ks/identity/v3'],
    ['http://ks/identity/v3', 'http://ks/identity/v3'],
  ];
  for (const [input, expected] of cases) assert.equal(normaliseKeystoneUrl(input), expected, input);
});

test('loadControllerConfig() reports every unusable value with file, line, section and option', (t) => {
  const dir = tempConfig(t, {
    'neutron.conf': [
      '[DEFAULT]', 'auth_strategy = keystone',
      '[calico]', 'openstack_region = RegionOne', 'etcd_port = 23x', 'startup_resync = sometimes', 'etcd_timeout = 0',
      'election_ttl_secs = 10', 'election_refresh_secs = 10',
      '[oslo_messaging_rabbit]', 'amqp_durable_queues = maybe',
      '[keystone_authtoken]', 'auth_url = http://ks:5000', '',
    ].join('\n'),
  });
  const file = join(dir, 'neutron.conf');
  assert.throws(() => loadControllerConfig({ configFiles: [file] }), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.code, 'CONTROLLER_CONFIG_INVALID');
    const summary = err.problems.map((p) => `${p.section} ${p.option} ${p.line ?? '-'}`);
    assert.deepEqual(summary, [
      'calico etcd_port 5',
      'calico openstack_region 4',
      'calico election_refresh_secs 9',
      'calico etcd_timeout 7',
      'calico startup_resync 6',
      'keystone_authtoken username -',
      'keystone_authtoken password -',
      'keystone_authtoken project_name -',
      'oslo_messaging_rabbit amqp_durable_queues 11',
    ]);
    assert.equal(err.problems[1]!.file, file);
    assert.match(err.message, new RegExp(`\\[calico\\] openstack_region "RegionOne" \\(${file.replaceAll('/', '\\/')} line 4\\): a region name must be a DNS label`));
    return true;
  });
});

test('loadControllerConfig() names an OS_ variable as the source of a bad value', (t) => {
  const dir = tempConfig(t, { 'neutron.conf': NOAUTH });
  assert.throws(
    () => loadControllerConfig({ configFiles: [join(dir, 'neutron.conf')], env: { OS_CALICO__OPENSTACK_REGION: 'Bad_Region' } }),
    /\[calico\] openstack_region "Bad_Region" \(environment variable OS_CALICO__OPENSTACK_REGION\): a region name must be a DNS label/,
  );
});

test('loadControllerConfig() fails on a missing file or directory and on a syntax error, naming each', (t) => {
  const dir = tempConfig(t, { 'bad.conf': '[calico]\nno separator here\n' });
  assert.throws(
    () => loadControllerConfig({ configFiles: [join(dir, 'missing.conf'), join(dir, 'bad.conf')], configDirs: [join(dir, 'nodir')] }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.deepEqual(err.problems.map((p) => [p.file, p.line]), [[join(dir, 'nodir'), undefined], [join(dir, 'missing.conf'), undefined], [join(dir, 'bad.conf'), 2]]);
      assert.match(err.message, /missing\.conf: cannot read the configuration file: no such file or directory/);
      assert.match(err.message, /bad\.conf line 2: no ':' or '=' found in assignment: "no separator here"/);
      return true;
    },
  );
});

test('loadControllerConfig() brackets an IPv6 etcd host and reads oslo booleans in any spelling', (t) => {
  const cases: Array<[string, boolean]> = [['yes', true], ['On', true], ['1', true], ['FALSE', false], ['off', false], ['0', false]];
  for (const [text, expected] of cases) {
    const dir = tempConfig(t, { 'neutron.conf': `${NOAUTH}[calico]\netcd_host = fd00::2\n[oslo_messaging_rabbit]\namqp_auto_delete = ${text}\n` });
    const config = loadControllerConfig({ configFiles: [join(dir, 'neutron.conf')] });
    assert.deepEqual(config.etcd.endpoints, ['http://[fd00::2]:2379']);
    assert.equal(config.messaging.rabbit.autoDelete, expected, text);
  }
});
