/**
 * The configuration loader: precedence across file, environment, datastore and defaults,
 * `none`, case-insensitive names, local-only parameters, validation (all problems at
 * once, clear messages), the etcd connection, and the resolved object being frozen.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { Resource } from '@percale/api';
import { datastoreConfigSources, type DatastoreConfigSources } from './datastore-config.ts';
import { ConfigError, changedParams, readLocalConfigSources, resolveConfig, type LocalConfigSources } from './load-config.ts';
import { PARAMS, type ParamName } from './schema.ts';

const dir = mkdtempSync(join(tmpdir(), 'percale-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let fileCount = 0;
function cfg(text: string): string {
  const path = join(dir, `felix-${fileCount++}.cfg`);
  writeFileSync(path, text);
  return path;
}

async function local(options: { file?: string; env?: Record<string, string>; hostname?: string } = {}): Promise<LocalConfigSources> {
  return readLocalConfigSources({ configFile: options.file === undefined ? join(dir, 'absent.cfg') : cfg(options.file), env: options.env ?? {}, hostname: options.hostname ?? 'Compute-1' });
}

function ds(parts: Partial<DatastoreConfigSources>): DatastoreConfigSources {
  return { perHost: {}, perSelector: {}, global: {}, datastoreReady: true, ...parts };
}

describe('resolveConfig() precedence', () => {
  const cases: { name: string; file?: string; env?: Record<string, string>; datastore?: Partial<DatastoreConfigSources>; param: ParamName; want: unknown; from: string }[] = [
    { name: 'default when nothing sets it', param: 'InterfacePrefix', want: ['cali'], from: 'default' },
    { name: 'datastore global over default', datastore: { global: { InterfacePrefix: 'tap' } }, param: 'InterfacePrefix', want: ['tap'], from: 'datastore (global)' },
    { name: 'per selector over global', datastore: { global: { InterfacePrefix: 'tap' }, perSelector: { InterfacePrefix: 'cali,tap' } }, param: 'InterfacePrefix', want: ['cali', 'tap'], from: 'datastore (per selector)' },
    { name: 'per host over per selector', datastore: { perSelector: { MetadataPort: '8000' }, perHost: { MetadataPort: '8001' } }, param: 'MetadataPort', want: 8001, from: 'datastore (per host)' },
    { name: 'config file over datastore', file: '[global]\nMetadataPort = 9000\n', datastore: { perHost: { MetadataPort: '8001' } }, param: 'MetadataPort', want: 9000, from: 'config file' },
    { name: 'environment over config file', file: '[global]\nMetadataPort = 9000\n', env: { FELIX_METADATAPORT: '9001' }, param: 'MetadataPort', want: 9001, from: 'environment' },
    { name: 'names are case-insensitive in the file', file: '[global]\nmetadataaddr = 10.0.0.5\n', param: 'MetadataAddr', want: '10.0.0.5', from: 'config file' },
    { name: 'names are case-insensitive in the environment', env: { felix_ReportingIntervalSecs: '15' }, param: 'ReportingIntervalSecs', want: 15, from: 'environment' },
    { name: 'none forces the zero value', env: { FELIX_METADATAADDR: 'none' }, param: 'MetadataAddr', want: '', from: 'environment' },
    { name: 'NONE is none too', file: '[global]\nLogFilePath = NONE\n', param: 'LogFilePath', want: '', from: 'config file' },
    { name: 'an empty value is ignored', env: { FELIX_METADATAPORT: '' }, datastore: { global: { MetadataPort: '8777' } }, param: 'MetadataPort', want: 8777, from: 'datastore (global)' },
    { name: 'sections are merged', file: '[global]\nInterfacePrefix=tap\n[other]\nHealthPort=9199\n', param: 'HealthPort', want: 9199, from: 'config file' },
    { name: 'one-of values are canonicalised', env: { FELIX_DEFAULTENDPOINTTOHOSTACTION: 'accept' }, param: 'DefaultEndpointToHostAction', want: 'ACCEPT', from: 'environment' },
    { name: 'seconds accept fractions', datastore: { global: { ReportingTTLSecs: '2.5' } }, param: 'ReportingTTLSecs', want: 2.5, from: 'datastore (global)' },
    { name: 'local-only parameters ignore the datastore', datastore: { perHost: { FelixHostname: 'other' } }, param: 'FelixHostname', want: 'compute-1', from: 'default' },
    { name: 'the hostname defaults to the kernel one, lower-cased', param: 'FelixHostname', want: 'compute-1', from: 'default' },
    { name: 'FelixHostname from the file', file: 'FelixHostname = node-7\n', param: 'FelixHostname', want: 'node-7', from: 'config file' },
    { name: 'a bad non-fatal value falls back to the default', env: { FELIX_HEALTHPORT: 'ninety' }, param: 'HealthPort', want: 9099, from: 'environment' },
    { name: 'hex ints as Go parses them', env: { FELIX_NFTABLESMARKMASK: '0xff000000' }, param: 'NftablesMarkMask', want: 0xff000000, from: 'environment' },
  ];
  for (const c of cases) {
    test(`resolveConfig() ${c.name}`, async () => {
      const r = resolveConfig(await local({ ...(c.file !== undefined && { file: c.file }), ...(c.env && { env: c.env }) }), ds(c.datastore ?? {}));
      assert.deepEqual(r.config[c.param], c.want);
      assert.equal(r.sources[c.param], c.from);
    });
  }

  test('resolveConfig() keeps unknown names as raw values and warns about them', async () => {
    const r = resolveConfig(await local({ file: 'SomePluginSetting = 7\n' }));
    assert.equal(r.raw.SomePluginSetting, '7');
    assert.ok(r.warnings.some((w) => w.includes('unknown config parameter SomePluginSetting')));
  });

  test('resolveConfig() warns about local-only parameters from the datastore', async () => {
    const r = resolveConfig(await local(), ds({ global: { EtcdEndpoints: 'http://10.9.9.9:2379' } }));
    assert.deepEqual(r.config.EtcdEndpoints, []);
    assert.ok(r.warnings.some((w) => w.includes('local-only configuration EtcdEndpoints')));
  });
});

describe('resolveConfig() validation', () => {
  const bad: { name: string; env?: Record<string, string>; file?: string; datastore?: Partial<DatastoreConfigSources>; expect: RegExp[] }[] = [
    { name: 'an upper-case region', env: { FELIX_OPENSTACKREGION: 'RegionOne' }, expect: [/OpenstackRegion "RegionOne" \(from environment\): must be a valid DNS label/] },
    { name: 'a region starting with -', file: '[global]\nOpenstackRegion = -r1\n', expect: [/OpenstackRegion "-r1" \(from config file\): must be a valid DNS label/] },
    { name: 'a region ending with -', env: { FELIX_OPENSTACKREGION: 'r1-' }, expect: [/OpenstackRegion "r1-"/] },
    { name: 'a region with _', env: { FELIX_OPENSTACKREGION: 'r_1' }, expect: [/OpenstackRegion "r_1"/] },
    { name: 'a region of 47 characters', env: { FELIX_OPENSTACKREGION: 'a'.repeat(47) }, expect: [/OpenstackRegion "a{47}" \(from environment\): must be 46 characters or fewer \(it has 47\)/] },
    { name: 'a bad region from the datastore', datastore: { global: { OpenstackRegion: 'Bad!' } }, expect: [/OpenstackRegion "Bad!" \(from datastore \(global\)\)/] },
    { name: 'a bad region in a losing source still stops start-up', env: { FELIX_OPENSTACKREGION: 'r1' }, datastore: { global: { OpenstackRegion: 'Bad' } }, expect: [/OpenstackRegion "Bad"/] },
    { name: 'none for a non-zero parameter', env: { FELIX_INTERFACEPREFIX: 'none' }, expect: [/InterfacePrefix "none" \(from environment\): cannot be none/] },
    { name: 'an interface prefix that is too long', env: { FELIX_INTERFACEPREFIX: 'tap,abcdefghijklmnop' }, expect: [/InterfacePrefix "tap,abcdefghijklmnop".*invalid Linux interface name/] },
    { name: 'a metadata port out of range', env: { FELIX_METADATAPORT: '70000' }, expect: [/MetadataPort "70000" \(from environment\): value must be at most 65535/] },
    { name: 'an unknown endpoint-to-host action', file: 'DefaultEndpointToHostAction = REJECT\n', expect: [/DefaultEndpointToHostAction "REJECT" \(from config file\): unknown option/] },
    { name: 'a missing etcd key file', env: { FELIX_ETCDKEYFILE: '/nonexistent/key.pem', FELIX_ETCDCERTFILE: '/nonexistent/cert.pem' }, expect: [/EtcdKeyFile "\/nonexistent\/key.pem" \(from environment\): failed to access file/, /EtcdCertFile "\/nonexistent\/cert.pem"/] },
    { name: 'the kubernetes datastore', env: { FELIX_DATASTORETYPE: 'kubernetes' }, expect: [/DatastoreType "kubernetes" \(from environment\): Percale supports the etcdv3 datastore only/] },
    { name: 'Typha', env: { FELIX_TYPHAADDR: 'typha:5473' }, expect: [/TyphaAddr "typha:5473".*Typha is not supported/] },
    { name: 'a malformed endpoint list', env: { FELIX_ETCDENDPOINTS: 'http://a:2379,https://b:2379' }, expect: [/EtcdEndpoints .*all endpoints must have the same scheme/] },
  ];
  for (const c of bad) {
    test(`resolveConfig() rejects ${c.name}`, async () => {
      const l = await local({ ...(c.file !== undefined && { file: c.file }), ...(c.env && { env: c.env }) });
      assert.throws(
        () => resolveConfig(l, ds(c.datastore ?? {})),
        (err: unknown) => {
          assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
          assert.equal(err.code, 'AGENT_CONFIG_INVALID');
          for (const re of c.expect) assert.match(err.message, re);
          assert.equal(err.problems.length, c.expect.length, err.message);
          return true;
        },
      );
    });
  }

  test('resolveConfig() reports every problem together', async () => {
    const l = await local({ env: { FELIX_OPENSTACKREGION: 'Region One', FELIX_METADATAPORT: '-1', FELIX_INTERFACEPREFIX: 'none' } });
    assert.throws(() => resolveConfig(l), (err: ConfigError) => {
      assert.deepEqual(err.problems.map((p) => p.param).sort(), ['InterfacePrefix', 'MetadataPort', 'OpenstackRegion']);
      assert.match(err.message, /^Invalid agent configuration:\n {2}- /);
      return true;
    });
  });

  test('resolveConfig() accepts a region of 46 characters', async () => {
    const r = resolveConfig(await local({ env: { FELIX_OPENSTACKREGION: `r${'1'.repeat(45)}` } }));
    assert.equal(r.config.OpenstackRegion.length, 46);
  });

  test('readLocalConfigSources() reports a malformed felix.cfg as a problem', async () => {
    const l = await local({ file: '[global\nInterfacePrefix = tap\n' });
    assert.throws(() => resolveConfig(l), /config file ".*": felix.cfg line 1: unclosed section/);
  });

  test('every declared default parses with its own type', () => {
    for (const [name, decl] of Object.entries(PARAMS)) {
      if (decl.default === '') continue;
      assert.ok((decl.type.parse as (raw: string) => { ok: boolean })(decl.default).ok, `default of ${name}`);
    }
  });
});

describe('resolveConfig() etcd connection', () => {
  test('resolveConfig() defaults to http://127.0.0.1:2379', async () => {
    assert.deepEqual(resolveConfig(await local()).etcd, { endpoints: ['http://127.0.0.1:2379'] });
  });

  test('resolveConfig() takes ETCD_* variables, CALICO_ETCD_* winning', async () => {
    const r = resolveConfig(await local({ env: { ETCD_ENDPOINTS: 'http://10.0.0.1:2379', CALICO_ETCD_ENDPOINTS: 'https://10.0.0.2:2379, https://10.0.0.3:2379', ETCD_CA_CERT_FILE: '/etc/ca.pem' } }));
    assert.deepEqual(r.etcd, { endpoints: ['https://10.0.0.2:2379', 'https://10.0.0.3:2379'], tls: { caFile: '/etc/ca.pem' } });
  });

  test('resolveConfig() lets felix.cfg and FELIX_* override the generic variables', async () => {
    const ca = cfg('CA');
    const cert = cfg('CERT');
    const key = cfg('KEY');
    const r = resolveConfig(
      await local({
        file: `[global]\nEtcdEndpoints = https://10.0.0.7:2379,https://10.0.0.8:2379\nEtcdCaFile = ${ca}\n`,
        env: { ETCD_ENDPOINTS: 'http://10.0.0.1:2379', ETCD_CA_CERT_FILE: '/generic/ca.pem', FELIX_ETCDCERTFILE: cert, FELIX_ETCDKEYFILE: key },
      }),
    );
    assert.deepEqual(r.etcd, { endpoints: ['https://10.0.0.7:2379', 'https://10.0.0.8:2379'], tls: { caFile: ca, certFile: cert, keyFile: key } });
  });

  test('resolveConfig() builds the endpoint from EtcdScheme and EtcdAddr when EtcdEndpoints is unset', async () => {
    const r = resolveConfig(await local({ file: 'EtcdAddr = etcd.local:2379\nEtcdScheme = https\n' }));
    assert.deepEqual(r.etcd.endpoints, ['https://etcd.local:2379']);
  });
});

describe('resolveConfig() result', () => {
  test('resolveConfig() returns a deeply frozen configuration', async () => {
    const r = resolveConfig(await local({ env: { FELIX_INTERFACEPREFIX: 'tap' } }));
    assert.ok(Object.isFrozen(r.config));
    assert.ok(Object.isFrozen(r.config.InterfacePrefix));
    assert.throws(() => {
      (r.config as { MetadataPort: number }).MetadataPort = 1;
    }, TypeError);
  });

  test('changedParams() names what differs, comparing lists and patterns by value', async () => {
    const a = resolveConfig(await local({ env: { FELIX_INTERFACEPREFIX: 'tap', FELIX_INTERFACEEXCLUDE: 'lo,/^virbr/' } })).config;
    const b = resolveConfig(await local({ env: { FELIX_INTERFACEPREFIX: 'tap', FELIX_INTERFACEEXCLUDE: 'lo,/^virbr/' } })).config;
    assert.deepEqual(changedParams(a, b), []);
    const c = resolveConfig(await local({ env: { FELIX_INTERFACEPREFIX: 'tap', FELIX_REPORTINGINTERVALSECS: '10' } })).config;
    assert.deepEqual(changedParams(a, c), ['InterfaceExclude', 'ReportingIntervalSecs']);
  });
});

describe('datastoreConfigSources()', () => {
  const fc = (name: string, spec: Record<string, unknown>, meta: Partial<Resource['metadata']> = {}): Resource => ({
    apiVersion: 'projectcalico.org/v3',
    kind: 'FelixConfiguration',
    metadata: { name, ...meta },
    spec,
  });

  test('datastoreConfigSources() maps FelixConfiguration fields to Felix names and values', () => {
    const s = datastoreConfigSources({
      hostname: 'compute-1',
      felixConfigurations: [
        fc('default', { interfacePrefix: 'tap', reportingInterval: '1m30s', reportingTTL: '90s', endpointReportingEnabled: true, endpointReportingDelay: '500ms', metadataPort: 8775, ipipEnabled: false, iptablesLockProbeInterval: '50ms', nodeSelector: 'all()' }),
        fc('node.compute-1', { openstackRegion: 'r1' }, { annotations: { 'config.projectcalico.org/LogSeverityScreen': 'Debug' } }),
        fc('node.compute-2', { openstackRegion: 'r2' }),
      ],
      clusterInformation: { apiVersion: 'projectcalico.org/v3', kind: 'ClusterInformation', metadata: { name: 'default' }, spec: { clusterGUID: 'abc', clusterType: 'openstack', calicoVersion: 'v3.30.0', datastoreReady: true } },
    });
    assert.deepEqual(s.global, {
      ClusterGUID: 'abc', ClusterType: 'openstack', CalicoVersion: 'v3.30.0',
      InterfacePrefix: 'tap', ReportingIntervalSecs: '90', ReportingTTLSecs: '90', EndpointReportingEnabled: 'true', EndpointReportingDelaySecs: '0.5',
      MetadataPort: '8775', IpInIpEnabled: 'false', IptablesLockProbeIntervalMillis: '50',
    });
    assert.deepEqual(s.perHost, { OpenstackRegion: 'r1', LogSeverityScreen: 'Debug' });
    assert.equal(s.datastoreReady, true);
  });

  test('datastoreConfigSources() takes only the oldest FelixConfiguration whose nodeSelector matches this Node', () => {
    const node: Resource = { apiVersion: 'projectcalico.org/v3', kind: 'Node', metadata: { name: 'compute-1', labels: { rack: 'r7' } } };
    const s = datastoreConfigSources({
      hostname: 'compute-1',
      node,
      felixConfigurations: [
        fc('newer', { nodeSelector: "rack == 'r7'", metadataPort: 1 }, { creationTimestamp: '2026-01-02T00:00:00Z' }),
        fc('older', { nodeSelector: "rack == 'r7'", metadataPort: 2 }, { creationTimestamp: '2026-01-01T00:00:00Z' }),
        fc('oldest-other-rack', { nodeSelector: "rack == 'r8'", metadataPort: 3 }, { creationTimestamp: '2025-01-01T00:00:00Z' }),
      ],
    });
    assert.deepEqual(s.perSelector, { MetadataPort: '2' });
    assert.equal(s.datastoreReady, false);
  });

  test('resolveConfig() with datastore values: a per-host region wins over the global one', async () => {
    const s = datastoreConfigSources({ hostname: 'compute-1', felixConfigurations: [fc('default', { openstackRegion: 'r0' }), fc('node.compute-1', { openstackRegion: 'r1' })] });
    const r = resolveConfig(await local(), s);
    assert.equal(r.config.OpenstackRegion, 'r1');
    assert.equal(r.sources.OpenstackRegion, 'datastore (per host)');
  });
});
