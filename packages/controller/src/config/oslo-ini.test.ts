import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from './config-error.ts';
import { OsloConfig } from './oslo-config.ts';
import { parseOsloIni } from './oslo-ini.ts';

const values = (file: ReturnType<typeof parseOsloIni>, section: string, option: string) =>
  file.get(section)?.get(option)?.map((v) => v.value);

test('parseOsloIni() reads sections, both separators, comments, quotes and repeated options', () => {
  const file = parseOsloIni([
    '# leading comment',
    '[DEFAULT]',
    'bind_host = 0.0.0.0',
    'transport_url: rabbit://guest:guest@127.0.0.1:5672/',
    '; another comment',
    '[Calico]',
    'etcd_host = "10.0.0.1"',
    "etcd_username = 'admin'",
    'openstack_region = europe # not a comment in oslo',
    'url = http://x/?a=b',
    'empty =',
    'etcd_port = 2379',
    'etcd_port = 2380',
  ].join('\n'), 'neutron.conf');
  assert.deepEqual(values(file, 'DEFAULT', 'bind_host'), ['0.0.0.0']);
  assert.deepEqual(values(file, 'DEFAULT', 'transport_url'), ['rabbit://guest:guest@127.0.0.1:5672/']);
  // Section names other than DEFAULT are lower-cased, as oslo.config normalises them.
  assert.deepEqual(values(file, 'calico', 'etcd_host'), ['10.0.0.1']);
  assert.deepEqual(values(file, 'calico', 'etcd_username'), ['admin']);
  assert.deepEqual(values(file, 'calico', 'openstack_region'), ['europe # not a comment in oslo']);
  assert.deepEqual(values(file, 'calico', 'url'), ['http://x/?a=b']);
  assert.deepEqual(values(file, 'calico', 'empty'), ['']);
  assert.deepEqual(values(file, 'calico', 'etcd_port'), ['2379', '2380']);
  assert.equal(file.get('calico')?.get('etcd_port')?.[1]?.line, 13);
});

test('parseOsloIni() joins indented continuation lines with newlines until a blank line', () => {
  const file = parseOsloIni('[a]\nlist = one,\n  two,\n\tthree\n\nnext = x\r\n', 'f.conf');
  assert.deepEqual(values(file, 'a', 'list'), ['one,\ntwo,\nthree']);
  assert.deepEqual(values(file, 'a', 'next'), ['x']);
});

test('parseOsloIni() rejects malformed lines with the file and line', () => {
  const cases: Array<[string, RegExp]> = [
    ['key = value\n', /section must be started before assignment/],
    ['[calico\n', /invalid section/],
    ['[]\n', /empty section name/],
    ['[a]\njust words\n', /no ':' or '=' found/],
    ['[a]\n = value\n', /unexpected continuation line/],
    ['[a]\n= value\n', /key cannot be empty/],
    ['  indented = 1\n', /unexpected continuation line/],
  ];
  for (const [text, reason] of cases) {
    assert.throws(() => parseOsloIni(text, '/etc/neutron/neutron.conf'), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.code, 'CONTROLLER_CONFIG_INVALID');
      assert.equal(err.problems[0]!.file, '/etc/neutron/neutron.conf');
      assert.match(err.message, reason);
      return true;
    }, text);
  }
});

test('OsloConfig.get() lets later files, the last occurrence and OS_ variables win', () => {
  const first = parseOsloIni('[calico]\netcd_host = a\netcd_host = b\netcd_port = 1\n', 'first.conf');
  const second = parseOsloIni('[calico]\netcd_host = c\n', 'second.conf');
  const conf = new OsloConfig([first, second]);
  assert.deepEqual({ ...conf.get('calico', 'etcd_host') }, { value: 'c', section: 'calico', option: 'etcd_host', file: 'second.conf', line: 2 });
  assert.equal(conf.get('calico', 'etcd_port')?.value, '1');
  assert.equal(conf.get('calico', 'missing'), undefined);
  const withEnv = new OsloConfig([first, second], { OS_CALICO__ETCD_HOST: 'from-env' });
  assert.equal(withEnv.get('calico', 'etcd_host')?.value, 'from-env');
  assert.equal(withEnv.get('calico', 'etcd_host')?.envVar, 'OS_CALICO__ETCD_HOST');
  assert.equal(OsloConfig.envVarName('keystone_authtoken', 'auth_url'), 'OS_KEYSTONE_AUTHTOKEN__AUTH_URL');
});

test('OsloConfig.getAll() collects a multi-valued option across files in order', () => {
  const a = parseOsloIni('[oslo_messaging_notifications]\ndriver = messagingv2\ndriver = log\n', 'a.conf');
  const b = parseOsloIni('[oslo_messaging_notifications]\ndriver = routing\n', 'b.conf');
  assert.deepEqual(new OsloConfig([a, b]).getAll('oslo_messaging_notifications', 'driver').map((v) => v.value), ['messagingv2', 'log', 'routing']);
});

test('OsloConfig.get() substitutes $option, ${option} and ${group.option} references', () => {
  const file = parseOsloIni([
    '[DEFAULT]', 'state_path = /var/lib/neutron', 'lock = $state_path/lock', 'price = $$5 and \\$6', 'unknown = $nothing',
    '[calico]', 'etcd_host = 10.0.0.9', 'etcd_ca_cert_file = ${state_path}/ca.pem', 'elector_name = ${calico.etcd_host}-x',
    'loop_a = $loop_b', 'loop_b = $loop_a',
  ].join('\n'), 'n.conf');
  const conf = new OsloConfig([file]);
  assert.equal(conf.get('DEFAULT', 'lock')?.value, '/var/lib/neutron/lock');
  assert.equal(conf.get('DEFAULT', 'price')?.value, '$5 and $6');
  assert.equal(conf.get('DEFAULT', 'unknown')?.value, '$nothing');
  assert.equal(conf.get('calico', 'etcd_ca_cert_file')?.value, '/var/lib/neutron/ca.pem');
  assert.equal(conf.get('calico', 'elector_name')?.value, '10.0.0.9-x');
  assert.throws(() => conf.get('calico', 'loop_a'), /does not terminate/);
});
