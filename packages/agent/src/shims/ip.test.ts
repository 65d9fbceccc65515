import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Exec, ExecResult } from './exec.ts';
import { Iproute2, parseBatchResult, parseLinks, parseNeighbours, parseRoutes } from './ip.ts';
import { isKernelCommandError } from './kernel-command-error.ts';

/** Records argv and stdin; answers from a queue of results. */
function fakeExec(results: ExecResult[] = []) {
  const calls: { argv: readonly string[]; input: string | undefined }[] = [];
  const exec: Exec = {
    async run(argv, options) {
      calls.push({ argv, input: options?.input });
      return results.shift() ?? { exitCode: 0, stdout: '', stderr: '' };
    },
    streamLines(argv) {
      calls.push({ argv, input: undefined });
      return { stop() {} };
    },
  };
  return { exec, calls };
}

// Captured from iproute2 6.1 (`ip -N -json -4 route show table main` in a test namespace).
const ROUTES_V4 = '[{"dst":"10.7.0.0/24","gateway":"127.0.0.1","dev":"lo","flags":[]},{"dst":"10.8.0.0/24","dev":"lo","protocol":"4","scope":"253","prefsrc":"127.0.0.1","metric":5,"flags":[]},{"type":"6","dst":"10.9.0.0/24","protocol":"80","flags":[]},{"dst":"10.65.0.2","dev":"tap1234abcd-56","scope":"253","metric":1024,"flags":["linkdown"]},{"dst":"default","gateway":"10.0.0.1","dev":"eth0","protocol":"4","flags":[]}]\n';
const ROUTES_V6 = '[{"dst":"fd00::2","dev":"tap1234abcd-56","metric":1024,"flags":[],"pref":"medium"},{"dst":"fe80::/64","dev":"tap1234abcd-56","protocol":"2","metric":256,"flags":[],"pref":"medium"},{"dst":"fd00::/64","nexthops":[{"gateway":"fe80::1","dev":"eth0"}],"protocol":"80","metric":1024,"flags":[]}]\n';
const LINKS = '[{"ifindex":1,"ifname":"lo","flags":["LOOPBACK","UP","LOWER_UP"],"mtu":65536,"operstate":"UNKNOWN","address":"00:00:00:00:00:00","addr_info":[{"family":"inet","local":"127.0.0.1","prefixlen":8}]},{"ifindex":2,"link_index":2,"ifname":"tap1234abcd-56","flags":["NO-CARRIER","BROADCAST","MULTICAST","UP"],"mtu":1500,"operstate":"DOWN","address":"8e:59:e4:01:9f:79","addr_info":[]},{"ifindex":3,"ifname":"tapabcdef01-23","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"operstate":"UP","address":"3a:f3:d4:f0:e2:48","addr_info":[{"family":"inet6","local":"fe80::38f3:d4ff:fef0:e248","prefixlen":64}]},{"ifindex":4,"ifname":"tapdown","flags":["BROADCAST","MULTICAST"],"operstate":"DOWN","addr_info":[]}]';

describe('parseRoutes()', () => {
  it('parseRoutes() normalises destinations and fills the fields iproute2 leaves out', () => {
    const routes = parseRoutes(4, ROUTES_V4);
    assert.deepEqual(routes.map((r) => [r.dst, r.type, r.dev, r.protocol, r.scope, r.metric, r.gateway, r.prefsrc]), [
      ['10.7.0.0/24', 1, 'lo', 3, 0, 0, '127.0.0.1', undefined],
      ['10.8.0.0/24', 1, 'lo', 4, 253, 5, undefined, '127.0.0.1'],
      ['10.9.0.0/24', 6, undefined, 80, 0, 0, undefined, undefined],
      ['10.65.0.2/32', 1, 'tap1234abcd-56', 3, 253, 1024, undefined, undefined],
      ['0.0.0.0/0', 1, 'eth0', 4, 0, 0, '10.0.0.1', undefined],
    ]);
  });

  it('parseRoutes() reads IPv6 host routes, kernel routes and multipath routes', () => {
    const routes = parseRoutes(6, ROUTES_V6);
    assert.deepEqual(routes.map((r) => [r.dst, r.protocol, r.metric, r.multipath]), [
      ['fd00::2/128', 3, 1024, false],
      ['fe80::/64', 2, 256, false],
      ['fd00::/64', 80, 1024, true],
    ]);
  });

  it('parseRoutes() reads route types and protocols given by name', () => {
    const [r] = parseRoutes(4, '[{"type":"blackhole","dst":"10.9.0.0/24","protocol":"static","scope":"link"}]');
    assert.deepEqual([r?.type, r?.protocol, r?.scope], [6, 4, 253]);
  });

  it('parseRoutes() accepts the empty output of an empty table', () => {
    assert.deepEqual(parseRoutes(4, ''), []);
    assert.deepEqual(parseRoutes(6, '[]'), []);
  });
});

describe('parseLinks()', () => {
  it('parseLinks() is operationally up only for an admin-up link with carrier (IFF_RUNNING)', () => {
    const links = parseLinks(LINKS);
    assert.deepEqual(links.map((l) => [l.name, l.ifindex, l.adminUp, l.operUp]), [
      ['lo', 1, true, true],
      ['tap1234abcd-56', 2, true, false],
      ['tapabcdef01-23', 3, true, true],
      ['tapdown', 4, false, false],
    ]);
    assert.deepEqual(links[2]?.addrs, ['fe80::38f3:d4ff:fef0:e248/64']);
    assert.equal(links[1]?.mac, '8e:59:e4:01:9f:79');
  });
});

describe('parseNeighbours()', () => {
  it('parseNeighbours() lower-cases MACs and reads the permanent state', () => {
    assert.deepEqual(parseNeighbours('[{"dst":"10.65.0.2","dev":"tap1","lladdr":"FA:16:3E:00:00:01","state":["PERMANENT"]},{"dst":"10.0.0.1","dev":"eth0","lladdr":"02:00:00:00:00:01","state":["REACHABLE"]}]'), [
      { ip: '10.65.0.2', dev: 'tap1', lladdr: 'fa:16:3e:00:00:01', permanent: true },
      { ip: '10.0.0.1', dev: 'eth0', lladdr: '02:00:00:00:00:01', permanent: false },
    ]);
  });
});

describe('parseBatchResult()', () => {
  it('parseBatchResult() maps each "Command failed" report to its 0-based line with the messages before it', () => {
    const r = parseBatchResult(1, 'Error: Device for nexthop is not up.\nCommand failed -:2\nCannot find device "nosuch"\nCommand failed -:5\n');
    assert.deepEqual([...r.failures], [[1, 'Error: Device for nexthop is not up.'], [4, 'Cannot find device "nosuch"']]);
    assert.equal(r.aborted, false);
  });

  const aborted: [string, number, string][] = [
    ['an exit from inside a command (status 2, no report)', 2, 'RTNETLINK answers: No such file or directory\n'],
    ['status 1 without any failure report', 1, 'Object "-6" is unknown, try "ip help".\n'],
    ['a signal', -1, ''],
  ];
  for (const [name, code, stderr] of aborted) {
    it(`parseBatchResult() marks the batch aborted on ${name}`, () => assert.equal(parseBatchResult(code, stderr).aborted, true));
  }

  it('parseBatchResult() reports success for status 0', () => {
    assert.deepEqual(parseBatchResult(0, ''), { failures: new Map(), aborted: false, stderr: '' });
  });
});

describe('Iproute2', () => {
  it('Iproute2 runs every command inside the configured namespace with ip -n', async () => {
    const { exec, calls } = fakeExec([{ exitCode: 0, stdout: ROUTES_V6, stderr: '' }]);
    const ip = new Iproute2({ exec, netns: 'percale-t-x' });
    await ip.listRoutes(6);
    await ip.listPermanentNeighbours();
    await ip.listLinks();
    ip.monitor(['link', 'address'], { onLine() {}, onExit() {} });
    assert.deepEqual(calls.map((c) => c.argv.join(' ')), [
      'ip -n percale-t-x -N -json -6 route show table main',
      'ip -n percale-t-x -json -4 neigh show nud permanent',
      'ip -n percale-t-x -json addr show',
      'ip -n percale-t-x -o monitor link address',
    ]);
  });

  it('batch() feeds all lines to one ip -force -batch - process and skips an empty batch', async () => {
    const { exec, calls } = fakeExec([{ exitCode: 1, stdout: '', stderr: 'RTNETLINK answers: No such process\nCommand failed -:1\n' }]);
    const ip = new Iproute2({ exec });
    assert.equal((await ip.batch([])).failures.size, 0);
    const r = await ip.batch(['route del 10.65.0.9/32 dev tap1 metric 1024', 'route replace 10.65.0.2/32 dev tap1']);
    assert.deepEqual(calls, [{ argv: ['ip', '-force', '-batch', '-'], input: 'route del 10.65.0.9/32 dev tap1 metric 1024\nroute replace 10.65.0.2/32 dev tap1\n' }]);
    assert.equal(r.failures.get(0), 'RTNETLINK answers: No such process');
  });

  it('showLink() returns undefined for a missing device and throws KernelCommandError for other failures', async () => {
    const { exec } = fakeExec([
      { exitCode: 1, stdout: '', stderr: 'Device "tapX" does not exist.\n' },
      { exitCode: 255, stdout: '', stderr: 'Cannot open netlink socket: Permission denied\n' },
    ]);
    const ip = new Iproute2({ exec });
    assert.equal(await ip.showLink('tapX'), undefined);
    await assert.rejects(ip.showLink('tapX'), (err: unknown) => isKernelCommandError(err) && err.exitCode === 255 && /Permission denied/.test(err.message));
  });
});
