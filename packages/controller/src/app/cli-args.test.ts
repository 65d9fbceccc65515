/**
 * Unit tests of the controller's command lines: oslo-style repeatable options, the default
 * configuration file, resync scopes, and the usage errors (exit status 2).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseArgs, UsageError } from './cli-args.ts';

describe('parseArgs()', () => {
  const ok: Array<[string, string[], unknown]> = [
    ['defaults to neutron.conf', ['neutron-controller'], { command: 'neutron-controller', configFiles: ['/etc/neutron/neutron.conf'], configDirs: [] }],
    ['keeps repeated --config-file in order', ['neutron-controller', '--config-file', 'a.conf', '--config-file=b.conf', '--config-dir', 'd'], { command: 'neutron-controller', configFiles: ['a.conf', 'b.conf'], configDirs: ['d'] }],
    [
      'reads a narrow resync scope',
      ['neutron-resync', '--port', 'p1', '--port', 'p2', '--network=n1', '--subnet', 's1', '--security-group', 'g1', '--include-sgs-for-ports', '-o', '/tmp/r.json'],
      {
        command: 'neutron-resync', configFiles: ['/etc/neutron/neutron.conf'], configDirs: [], output: '/tmp/r.json',
        scope: { networks: ['n1'], subnets: ['s1'], ports: ['p1', 'p2'], security_groups: ['g1'], include_sgs_for_ports: true },
      },
    ],
  ];
  for (const [name, argv, expected] of ok) it(`parseArgs() ${name}`, () => assert.deepEqual(parseArgs(argv), expected));

  const bad: Array<[string, string[], RegExp]> = [
    ['an unknown command', ['neutron-agent'], /Unknown command "neutron-agent"/],
    ['a scope option for the controller', ['neutron-controller', '--port', 'p1'], /Unknown option "--port" for neutron-controller/],
    ['an option without its value', ['neutron-resync', '--port'], /Option --port needs a value/],
    ['an unknown resync option', ['neutron-resync', '--everything'], /Unknown option "--everything" for neutron-resync/],
  ];
  for (const [name, argv, message] of bad) {
    it(`parseArgs() rejects ${name}`, () => assert.throws(() => parseArgs(argv), (err: unknown) => err instanceof UsageError && err.code === 'CONTROLLER_USAGE' && message.test(err.message)));
  }

  it('parseArgs() answers --help with the usage text', () => {
    const parsed = parseArgs(['neutron-resync', '--help']);
    assert.equal(parsed.command, 'help');
    assert.match((parsed as { text: string }).text, /^Usage: percale neutron-resync/);
  });
});
