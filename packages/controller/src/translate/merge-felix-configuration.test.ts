import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeFelixConfiguration } from './merge-felix-configuration.ts';

test('mergeFelixConfiguration() enables endpoint reporting and adds the tap prefix, keeping other settings', () => {
  const cases: Array<[Record<string, unknown> | undefined, Record<string, unknown>, boolean]> = [
    [undefined, { endpointReportingEnabled: true, interfacePrefix: 'tap' }, true],
    [{ endpointReportingEnabled: true, interfacePrefix: 'tap' }, { endpointReportingEnabled: true, interfacePrefix: 'tap' }, false],
    [{ interfacePrefix: 'cali', logSeverityScreen: 'Info' }, { interfacePrefix: 'cali,tap', logSeverityScreen: 'Info', endpointReportingEnabled: true }, true],
    [{ endpointReportingEnabled: false, interfacePrefix: 'cali,tap' }, { endpointReportingEnabled: true, interfacePrefix: 'cali,tap' }, true],
    [{ endpointReportingEnabled: true, interfacePrefix: 'tapx' }, { endpointReportingEnabled: true, interfacePrefix: 'tapx,tap' }, true],
    [{ endpointReportingEnabled: true, interfacePrefix: '' }, { endpointReportingEnabled: true, interfacePrefix: 'tap' }, true],
  ];
  for (const [existing, spec, changed] of cases) {
    assert.deepEqual(mergeFelixConfiguration(existing), { spec, changed }, JSON.stringify(existing));
  }
});
