import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateResource } from '../validation/validate-resource.ts';
import { applyCreateDefaults } from './apply-defaults.ts';
import { encodeResource } from './codec.ts';
import { decodeResource } from './decode-resource.ts';
import { FELIX_FIELDS } from './felix-configuration-fields.ts';
import { FelixConfigurationSpec } from './felix-configuration.ts';
import type { Resource } from './types.ts';

const felix = (name: string, spec: Record<string, unknown>): Resource =>
  ({ apiVersion: 'projectcalico.org/v3', kind: 'FelixConfiguration', metadata: { name }, spec });

const reasons = (res: Resource) => validateResource(res).map((e) => `${e.field}: ${e.reason}`);

test('FELIX_FIELDS lists each FelixConfigurationSpec member once, and the schema declares all of them in that order', () => {
  const names = FELIX_FIELDS.map((f) => f.json);
  assert.equal(new Set(names).size, names.length);
  assert.ok(names.length >= 180, `only ${names.length} fields`);
  assert.deepEqual(Object.keys(FelixConfigurationSpec.fields), names);
});

test('applyCreateDefaults() sets the FelixConfiguration client defaults and the CRD defaults', () => {
  assert.deepEqual(applyCreateDefaults(felix('default', {})).spec, {
    floatingIPs: 'Disabled', bpfConnectTimeLoadBalancing: 'TCP', bpfHostNetworkedNATWithoutCTLB: 'Enabled',
    nftablesMode: 'Auto', nftablesFlowTableOffload: 'Disabled',
  });
  const explicit = { floatingIPs: 'Enabled', bpfConnectTimeLoadBalancing: 'Disabled', bpfHostNetworkedNATWithoutCTLB: 'Disabled', nftablesMode: 'Enabled' };
  assert.deepEqual(applyCreateDefaults(felix('default', explicit)).spec, { ...explicit, nftablesFlowTableOffload: 'Disabled' });
});

test('applyCreateDefaults() translates the deprecated bpfConnectTimeLoadBalancingEnabled', () => {
  const on = applyCreateDefaults(felix('default', { bpfConnectTimeLoadBalancingEnabled: true })).spec!;
  assert.equal(on.bpfConnectTimeLoadBalancing, 'Enabled');
  assert.equal(on.bpfHostNetworkedNATWithoutCTLB, 'Disabled');
  const off = applyCreateDefaults(felix('default', { bpfConnectTimeLoadBalancingEnabled: false, bpfConnectTimeLoadBalancing: 'TCP' })).spec!;
  assert.equal(off.bpfConnectTimeLoadBalancing, 'Disabled');
  assert.equal(off.bpfHostNetworkedNATWithoutCTLB, 'Disabled');
});

test('validateResource() allows nodeSelector only on FelixConfigurations that are neither global nor per node', () => {
  const forbidden = "spec.nodeSelector: nodeSelector must not be set on the 'default' or per-node ('node.*') FelixConfiguration";
  assert.deepEqual(reasons(felix('default', { nodeSelector: 'rack == "a"' })), [forbidden]);
  assert.deepEqual(reasons(felix('node.compute-1', { nodeSelector: '' })), [forbidden]);
  assert.deepEqual(reasons(felix('rack-a', { nodeSelector: 'rack == "a"' })), []);
});

test('validateResource() checks Felix durations in their canonical Go form against the CRD pattern', () => {
  assert.deepEqual(reasons(felix('default', { reportingInterval: '90s', endpointReportingDelay: '500ms' })), []);
  assert.deepEqual(reasons(felix('default', { reportingInterval: '1.5s' })),
    ["spec.reportingInterval: should match '^([0-9]+(\\\\.[0-9]+)?(ms|s|m|h))*$'"]);
  const { resource } = decodeResource(felix('default', { reportingInterval: '90s' }));
  assert.equal(resource?.spec?.reportingInterval, '1m30s');
});

test('validateResource() accepts OpenStack settings and lower-case failsafe protocols, as Calico does', () => {
  const spec = {
    openstackRegion: 'region-one', metadataAddr: '10.0.0.10', metadataPort: 8775, interfacePrefix: 'tap',
    endpointReportingEnabled: true, endpointReportingDelay: '1s', defaultEndpointToHostAction: 'Return',
    failsafeInboundHostPorts: [{ protocol: 'tcp', port: 22 }, { protocol: 'UDP', port: 68, net: '0.0.0.0/0' }],
    failsafeOutboundHostPorts: [],
  };
  assert.deepEqual(reasons(felix('default', spec)), []);
  assert.deepEqual(reasons(felix('default', { openstackRegion: 'Region_One' })), ['spec.openstackRegion: must be a valid DNS label']);
});

test('validateResource() checks the structured Felix members', () => {
  assert.deepEqual(reasons(felix('default', { natPortRange: '0:100' })),
    ['spec.natPortRange: port range invalid, port number must be between 1 and 65535']);
  assert.deepEqual(reasons(felix('default', { bpfLogFilters: { all: 'host', 'eth*': 'tcp' } })),
    ['spec.bpfLogFilters["eth*"]: interface name must be 1-15 characters from [a-zA-Z0-9_.-]']);
  assert.deepEqual(reasons(felix('default', { bpfConntrackTimeouts: { tcpEstablished: '1h', udpTimeout: 'Auto', icmpTimeout: 'soon' } })),
    ["spec.bpfConntrackTimeouts.icmpTimeout: should match '^(([0-9]*(\\.[0-9]*)?(ms|s|h|m|us)+)+|Auto)$'"]);
  assert.deepEqual(reasons(felix('default', { goGCThreshold: -1, bpfMapSizeConntrackCleanupQueue: 0 })),
    ['spec.bpfMapSizeConntrackCleanupQueue: should be greater than or equal to 1']);
});

test('encodeResource() writes a FelixConfiguration in Go member order, bpfLogLevel always', () => {
  const input = felix('default', {
    wireguardEnabled: false, routeTableRanges: [{ max: 250, min: 1 }], floatingIPs: 'Disabled', reportingInterval: '0s',
    failsafeInboundHostPorts: [{ port: 22, protocol: 'TCP' }], ipv6Support: false, logSeverityScreen: 'Info',
    healthTimeoutOverrides: [{ timeout: '30s', name: 'InternalDataplaneMainLoop' }], vxlanEnabled: true,
  });
  const { resource, errors } = decodeResource(input);
  assert.deepEqual(errors, []);
  assert.equal(JSON.stringify(JSON.parse(encodeResource(resource!)).spec),
    '{"ipv6Support":false,"logSeverityScreen":"Info","vxlanEnabled":true,"reportingInterval":"0s",' +
    '"healthTimeoutOverrides":[{"name":"InternalDataplaneMainLoop","timeout":"30s"}],' +
    '"failsafeInboundHostPorts":[{"protocol":"TCP","port":22}],"bpfLogLevel":"",' +
    '"routeTableRanges":[{"min":1,"max":250}],"wireguardEnabled":false,"floatingIPs":"Disabled"}');
});
