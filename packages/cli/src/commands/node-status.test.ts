import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Logger } from '../logger.ts';
import { createContext } from './context.ts';
import {
  bgpPeers, formatPeerTable, formatSince, parseBirdProtocols, runNodeStatus, type NodeStatusDeps,
} from './node-status.ts';

// Captured from BIRD 2.0.12 over its control socket (after the greeting): one established
// iBGP session on loopback, an eBGP session on a custom port and an IPv6 session, both refused.
const SHOW_ALL = readFileSync(join(import.meta.dirname, 'testdata', 'bird-2.0.12-show-protocols-all.txt'), 'utf8');
const SHOW = [
  '2002-Name       Proto      Table      State  Since         Info',
  '1002-device1    Device     ---        up     16:48:45.025  ',
  ' kernel4    Kernel     master4    up     16:48:45.025  ',
  ' Mesh_127_0_0_2 BGP        ---        up     16:48:49.514  Established   ',
  ' Global_127_0_0_3_port_11180 BGP        ---        start  16:48:45.025  Active        Socket: Connection refused',
  ' Node___1_port_11177 BGP        ---        start  16:48:45.025  Active        Socket: Connection refused',
  '0000 ',
  '',
].join('\n');

const NOW = new Date(2026, 10, 21, 17, 0, 0);

describe('parseBirdProtocols()', () => {
  test('parseBirdProtocols() reads the rows of `show protocols` (continuation lines)', () => {
    const rows = parseBirdProtocols(SHOW);
    assert.deepEqual(rows.map((r) => [r.name, r.proto, r.state, r.since, r.info]), [
      ['device1', 'Device', 'up', '16:48:45.025', ''],
      ['kernel4', 'Kernel', 'up', '16:48:45.025', ''],
      ['Mesh_127_0_0_2', 'BGP', 'up', '16:48:49.514', 'Established'],
      ['Global_127_0_0_3_port_11180', 'BGP', 'start', '16:48:45.025', 'Active Socket: Connection refused'],
      ['Node___1_port_11177', 'BGP', 'start', '16:48:45.025', 'Active Socket: Connection refused'],
    ]);
  });

  test('parseBirdProtocols() reads `show protocols all` and takes each neighbour address from the details', () => {
    const rows = parseBirdProtocols(SHOW_ALL);
    assert.deepEqual(rows.map((r) => [r.name, r.neighborAddress]), [
      ['device1', undefined], ['kernel4', undefined], ['Mesh_127_0_0_2', '127.0.0.2'],
      ['Global_127_0_0_3_port_11180', '127.0.0.3'], ['Node___1_port_11177', '::1'],
    ]);
  });

  test('parseBirdProtocols() joins a date and time Since (timeformat iso long)', () => {
    const [row] = parseBirdProtocols('1002-Mesh_10_0_0_12 BGP        ---        up     2026-11-20 12:55:00  Established\n0000 \n');
    assert.equal(row!.since, '2026-11-20 12:55:00');
    assert.equal(row!.info, 'Established');
  });

  test('parseBirdProtocols() refuses output it does not understand', () => {
    assert.throws(() => parseBirdProtocols('2002-Name Proto Table State Since\n0000 \n'), /unknown BIRD table output format/);
    assert.throws(() => parseBirdProtocols('garbage\n'), /unexpected output line from BIRD/);
    assert.throws(() => parseBirdProtocols('9001 Parse error\n'), /BIRD refused the command: Parse error/);
  });
});

describe('formatSince()', () => {
  const cases: [string, string][] = [
    ['16:48:49.514', '16:48:49'],
    ['2026-11-21 12:55:00', '12:55:00'],
    ['2026-11-20 12:55:00', '2026-11-20'],
    ['2026-11-02', '2026-11-02'],
  ];
  for (const [since, want] of cases) {
    test(`formatSince() shows "${since}" as "${want}"`, () => assert.equal(formatSince(since, NOW), want));
  }
});

describe('bgpPeers()', () => {
  test('bgpPeers() keeps Calico-named BGP sessions with their type and family', () => {
    assert.deepEqual(bgpPeers(parseBirdProtocols(SHOW_ALL), NOW), [
      { family: 4, peerAddress: '127.0.0.2', peerType: 'node-to-node mesh', state: 'up', since: '16:48:49', info: 'Established' },
      { family: 4, peerAddress: '127.0.0.3', peerType: 'global', state: 'start', since: '16:48:45', info: 'Active Socket: Connection refused' },
      { family: 6, peerAddress: '::1', peerType: 'node specific', state: 'start', since: '16:48:45', info: 'Active Socket: Connection refused' },
    ]);
  });

  test('bgpPeers() decodes the address from the protocol name when BIRD gave no details', () => {
    const peers = bgpPeers(parseBirdProtocols(SHOW), NOW);
    assert.deepEqual(peers.map((p) => [p.family, p.peerAddress]), [[4, '127.0.0.2'], [4, '127.0.0.3'], [6, '::1']]);
    const v6 = bgpPeers([{ name: 'Mesh_fd00__12', proto: 'BGP', table: '---', state: 'up', since: '', info: '' }], NOW);
    assert.equal(v6[0]!.peerAddress, 'fd00::12');
  });

  test('bgpPeers() ignores other protocols and sessions not named by Calico', () => {
    assert.deepEqual(bgpPeers([
      { name: 'peer_10_99_0_2', proto: 'BGP', table: '---', state: 'up', since: '', info: 'Established' },
      { name: 'Mesh_10_0_0_1', proto: 'Static', table: 'master4', state: 'up', since: '', info: '' },
    ], NOW), []);
  });
});

describe('formatPeerTable()', () => {
  test('formatPeerTable() draws the table as Calico does', () => {
    assert.equal(formatPeerTable([
      { family: 4, peerAddress: '172.17.8.102', peerType: 'node-to-node mesh', state: 'up', since: '23:30:04', info: 'Established' },
    ]), [
      '+--------------+-------------------+-------+----------+-------------+',
      '| PEER ADDRESS |     PEER TYPE     | STATE |  SINCE   |    INFO     |',
      '+--------------+-------------------+-------+----------+-------------+',
      '| 172.17.8.102 | node-to-node mesh | up    | 23:30:04 | Established |',
      '+--------------+-------------------+-------+----------+-------------+',
      '',
    ].join('\n'));
  });
});

describe('runNodeStatus()', () => {
  const harness = (deps: Partial<NodeStatusDeps>, env: Record<string, string> = {}) => {
    let out = '';
    let err = '';
    const asked: string[] = [];
    const io = { stdout: (s: string) => (out += s), stderr: (s: string) => (err += s), readStdin: async () => '', env };
    const ctx = createContext(io, new Logger('panic', () => {}), async () => { throw new Error('no datastore'); });
    const full: NodeStatusDeps = {
      queryBird: async (socket, command) => {
        asked.push(`${socket} ${command}`);
        return SHOW_ALL;
      },
      percaleRunning: () => true,
      now: () => NOW,
      ...deps,
    };
    return { ctx, full, asked, output: () => ({ out, err }) };
  };

  test('runNodeStatus() prints both families from one BIRD, in Calico\'s layout', async () => {
    const h = harness({});
    await runNodeStatus(h.ctx, {}, h.full);
    assert.deepEqual(h.asked, ['/var/run/percale/bird.ctl show protocols all']);
    assert.equal(h.output().out, [
      'Calico process is running.',
      '',
      'IPv4 BGP status',
      '+--------------+-------------------+-------+----------+-----------------------------------+',
      '| PEER ADDRESS |     PEER TYPE     | STATE |  SINCE   |               INFO                |',
      '+--------------+-------------------+-------+----------+-----------------------------------+',
      '| 127.0.0.2    | node-to-node mesh | up    | 16:48:49 | Established                       |',
      '| 127.0.0.3    | global            | start | 16:48:45 | Active Socket: Connection refused |',
      '+--------------+-------------------+-------+----------+-----------------------------------+',
      '',
      'IPv6 BGP status',
      '+--------------+---------------+-------+----------+-----------------------------------+',
      '| PEER ADDRESS |   PEER TYPE   | STATE |  SINCE   |               INFO                |',
      '+--------------+---------------+-------+----------+-----------------------------------+',
      '| ::1          | node specific | start | 16:48:45 | Active Socket: Connection refused |',
      '+--------------+---------------+-------+----------+-----------------------------------+',
      '',
      '',
    ].join('\n'));
  });

  test('runNodeStatus() says when a family has no peers', async () => {
    const h = harness({ queryBird: async () => SHOW.split('\n').filter((l) => !l.includes('Node___1')).join('\n') });
    await runNodeStatus(h.ctx, {}, h.full);
    assert.match(h.output().out, /\nIPv6 BGP status\nNo IPv6 peers found\.\n\n$/);
  });

  test('runNodeStatus() takes the socket from --bird-socket, then PERCALE_BIRD_SOCKET', async () => {
    const h = harness({}, { PERCALE_BIRD_SOCKET: '/run/env.ctl' });
    await runNodeStatus(h.ctx, {}, h.full);
    await runNodeStatus(h.ctx, { birdSocket: '/run/flag.ctl' }, h.full);
    assert.deepEqual(h.asked, ['/run/env.ctl show protocols all', '/run/flag.ctl show protocols all']);
  });

  test('runNodeStatus() fails when Percale does not run on this host', async () => {
    const h = harness({ percaleRunning: () => false });
    await assert.rejects(runNodeStatus(h.ctx, {}, h.full), { code: 'CLI_COMMAND_FAILED', message: 'Calico process is not running.' });
    assert.equal(h.output().out, '');
  });

  test('runNodeStatus() reports a BIRD it cannot reach', async () => {
    const h = harness({ queryBird: async () => { throw new Error('connect ENOENT /var/run/percale/bird.ctl'); } });
    await assert.rejects(runNodeStatus(h.ctx, {}, h.full), {
      code: 'CLI_COMMAND_FAILED', stream: 'stdout',
      message: 'Error querying BIRD: unable to connect to BIRD socket: connect ENOENT /var/run/percale/bird.ctl',
    });
    assert.equal(h.output().out, 'Calico process is running.\n\nIPv4 BGP status\n');
  });

  test('runNodeStatus() speaks BIRD\'s control protocol over the unix socket', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'percale-node-status-'));
    const socket = join(dir, 'bird.ctl');
    const received: string[] = [];
    // A stand-in BIRD: greets, then answers one command in two chunks.
    const server = createServer((conn) => {
      conn.write('0001 BIRD 2.0.12 ready.\n');
      conn.on('data', (d) => {
        received.push(d.toString());
        conn.write(SHOW_ALL.slice(0, 100));
        setTimeout(() => conn.write(SHOW_ALL.slice(100)), 5);
      });
    });
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    try {
      const h = harness({});
      await runNodeStatus(h.ctx, { birdSocket: socket }, { percaleRunning: () => true, now: () => NOW });
      assert.deepEqual(received, ['show protocols all\n']);
      assert.match(h.output().out, /\| 127\.0\.0\.2 {4}\| node-to-node mesh \| up {4}\| 16:48:49 \| Established/);
      const missing = harness({});
      await assert.rejects(runNodeStatus(missing.ctx, { birdSocket: join(dir, 'absent.ctl') }, { percaleRunning: () => true }), /unable to connect to BIRD socket: connect ENOENT/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
