/**
 * Tests of the datastore configuration the graph sends: Felix parameter names and values, the
 * precedence of per-host, selector-scoped and global sources, and when it is sent.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { Resource } from '@percale/api';
import { CalcGraph } from './calc-graph.ts';
import { felixConfigParams, formatGoDuration, formatGoFloat, parseGoDuration } from './felix-config-params.ts';
import { clusterResource, del, HOST, put } from './testing/resources.ts';

function felixConfig(name: string, spec: Record<string, unknown>, meta: Record<string, unknown> = {}): Resource {
  return { apiVersion: 'projectcalico.org/v3', kind: 'FelixConfiguration', metadata: { name, ...meta }, spec };
}

function configs(graph: CalcGraph): Record<string, string>[] {
  return graph.flush().flatMap((m) => (m.type === 'config-update' ? [m.config] : []));
}

describe('felixConfigParams', () => {
  it('felixConfigParams() names and formats fields as Felix reads them', () => {
    assert.deepEqual(felixConfigParams(felixConfig('default', {
      interfacePrefix: 'tap',
      reportingInterval: '30s',
      reportingTTL: '1m30s',
      iptablesLockProbeInterval: '50ms',
      routeRefreshInterval: '1h',
      ipipEnabled: false,
      metadataPort: 8775,
      ipv6Support: true,
      nftablesMode: 'Enabled',
      endpointReportingEnabled: true,
      failsafeInboundHostPorts: [{ protocol: 'TCP', port: 22 }, { protocol: 'UDP', port: 68, net: 'fd00::/8' }],
      failsafeOutboundHostPorts: [],
      routeTableRange: { min: 1, max: 250 },
      externalNodesList: ['10.0.0.1', '10.0.0.2'],
      healthTimeoutOverrides: [{ name: 'InternalDataplaneMainLoop', timeout: '90s' }],
      bpfLogFilters: { b: 'y', a: 'x' },
      openstackRegion: '',
      nodeSelector: 'all()',
    })), {
      InterfacePrefix: 'tap',
      ReportingIntervalSecs: '30',
      ReportingTTLSecs: '90',
      IptablesLockProbeIntervalMillis: '50',
      RouteRefreshInterval: '3600',
      IpInIpEnabled: 'false',
      MetadataPort: '8775',
      Ipv6Support: 'true',
      NFTablesMode: 'Enabled',
      EndpointReportingEnabled: 'true',
      FailsafeInboundHostPorts: 'tcp:22,udp:[fd00::/8]:68',
      FailsafeOutboundHostPorts: 'none',
      RouteTableRange: '1-250',
      ExternalNodesCIDRList: '10.0.0.1,10.0.0.2',
      HealthTimeoutOverrides: 'InternalDataplaneMainLoop=1m30s',
      BPFLogFilters: 'a=x,b=y,',
    });
  });

  it('felixConfigParams() applies config.projectcalico.org annotations over fields', () => {
    const params = felixConfigParams(felixConfig('default', { logSeverityScreen: 'Info' }, {
      annotations: { 'config.projectcalico.org/LogSeverityScreen': 'Debug', 'config.projectcalico.org/SomethingNew': 'x', other: 'y' },
    }));
    assert.deepEqual(params, { LogSeverityScreen: 'Debug', SomethingNew: 'x' });
  });

  const durations: [string, number | undefined][] = [
    ['90s', 90e9], ['1m30s', 90e9], ['1.5h', 5400e9], ['500ms', 5e8], ['2us', 2000], ['3µs', 3000], ['0', 0], ['-1s', -1e9],
    ['', undefined], ['1', undefined], ['s', undefined], ['1x', undefined], ['.s', undefined],
  ];
  for (const [text, ns] of durations) {
    it(`parseGoDuration() reads ${JSON.stringify(text)} as Go does`, () => assert.equal(parseGoDuration(text), ns));
  }

  it('formatGoDuration() and formatGoFloat() print as Go does', () => {
    assert.deepEqual([0, 500, 1500, 2e6, 1e9, 90e9, 3600e9, 3661.5e9].map(formatGoDuration), ['0s', '500ns', '1.5µs', '2ms', '1s', '1m30s', '1h0m0s', '1h1m1.5s']);
    assert.deepEqual([0, 30, 0.5, 1e-5, 123456, 1e6, 2592000].map(formatGoFloat), ['0', '30', '0.5', '1e-05', '123456', '1e+06', '2.592e+06']);
  });
});

describe('ConfigBatcher', () => {
  it('ConfigBatcher sends nothing before the snapshot is complete, then the merged configuration', () => {
    const graph = new CalcGraph({ hostname: HOST });
    graph.onUpdate(put(felixConfig('default', { interfacePrefix: 'tap', logSeverityScreen: 'Info' })));
    assert.deepEqual(configs(graph), []);
    graph.onUpdate(put(clusterResource('ClusterInformation', 'default', { clusterType: 'openstack', clusterGUID: 'g1', datastoreReady: true, calicoVersion: 'v3.31' })));
    graph.onUpdate(put(felixConfig(`node.${HOST}`, { logSeverityScreen: 'Debug' })));
    graph.onUpdate(put(felixConfig('node.other-host', { logSeverityScreen: 'Error' })));
    graph.onInSync();
    assert.deepEqual(configs(graph), [{
      CalicoVersion: 'v3.31', ClusterGUID: 'g1', ClusterType: 'openstack', InterfacePrefix: 'tap', LogSeverityScreen: 'Debug',
    }]);
  });

  it('ConfigBatcher uses the oldest selector-scoped configuration matching this host, between host and global', () => {
    const graph = new CalcGraph({ hostname: HOST });
    graph.onInSync();
    graph.flush();
    graph.onUpdate(put(felixConfig('default', { logSeverityScreen: 'Info', interfacePrefix: 'tap', metadataPort: 1 })));
    graph.onUpdate(put(felixConfig('racks', { nodeSelector: "rack == 'r1'", logSeverityScreen: 'Warning', metadataPort: 2 }, { creationTimestamp: '2024-01-01T00:00:00Z' })));
    graph.onUpdate(put(felixConfig('newer', { nodeSelector: 'all()', logSeverityScreen: 'Error', interfacePrefix: 'cali' }, { creationTimestamp: '2025-01-01T00:00:00Z' })));
    graph.onUpdate(put(felixConfig(`node.${HOST}`, { metadataPort: 3 })));
    // Without this host's Node, no selector-scoped configuration applies.
    assert.deepEqual(configs(graph).at(-1), { InterfacePrefix: 'tap', LogSeverityScreen: 'Info', MetadataPort: '3' });
    graph.onUpdate(put(clusterResource('Node', HOST, {}, { rack: 'r1' })));
    assert.deepEqual(configs(graph), [{ InterfacePrefix: 'tap', LogSeverityScreen: 'Warning', MetadataPort: '3' }]);
    graph.onUpdate(put(clusterResource('Node', HOST, {}, { rack: 'r2' }), true));
    assert.deepEqual(configs(graph), [{ InterfacePrefix: 'cali', LogSeverityScreen: 'Error', MetadataPort: '3' }]);
    graph.onUpdate(del(felixConfig('newer', {})));
    assert.deepEqual(configs(graph), [{ InterfacePrefix: 'tap', LogSeverityScreen: 'Info', MetadataPort: '3' }]);
    // An unchanged result is not sent again.
    graph.onUpdate(put(felixConfig('unrelated', { nodeSelector: "rack == 'r9'", logSeverityScreen: 'Fatal' })));
    assert.deepEqual(configs(graph), []);
  });

  it('ConfigBatcher drops a source that becomes invalid', () => {
    const graph = new CalcGraph({ hostname: HOST });
    graph.onUpdate(put(felixConfig('default', { interfacePrefix: 'tap' })));
    graph.onInSync();
    assert.deepEqual(configs(graph), [{ InterfacePrefix: 'tap' }]);
    graph.onUpdate(put(felixConfig('default', { interfacePrefix: 'tap', metadataPort: 'many' }), true));
    assert.deepEqual(configs(graph), [{}]);
  });
});
