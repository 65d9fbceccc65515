/**
 * Tests of the BIRD control-socket client against a fake BIRD on a unix socket that answers
 * with replies captured from BIRD 2.0.12, split into awkward chunks.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BirdCommandError, BirdControl, BirdUnreachableError, parseBirdReply, parseShowProtocols } from './bird-control.ts';

const REPLIES: Record<string, string> = {
  'show protocols': '2002-Name       Proto      Table      State  Since         Info\n1002-device1    Device     ---        up     16:41:36.000  \n kernel1    Kernel     master4    up     16:41:36.000  \n Mesh_10_99_0_2 BGP        ---        up     2026-11-21 12:55:00  Established   \n0000 \n',
  configure: '0002-Reading configuration from /tmp/e2x/a.conf\n0003 Reconfigured\n',
  'configure bad': '0002-Reading configuration from /tmp/e2x/a.conf\n8002 /tmp/e2x/a.conf:5:1 syntax error, unexpected GARBAGE\n',
  'show status': '1000-BIRD 2.0.12\n1011-Router ID is 10.9.9.9\n Hostname is vm\n0013 Daemon is up and running\n',
};

describe('BirdControl', () => {
  let dir: string;
  let server: Server;
  let nextConfigure = 'configure';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bird-control-'));
    server = createServer((socket) => {
      socket.write('0001 BIRD 2.0.12 ready.\n');
      socket.setEncoding('utf8');
      socket.on('data', (cmd: string) => {
        const key = cmd.trim() === 'configure' ? nextConfigure : cmd.trim();
        const reply = REPLIES[key] ?? '9001 syntax error, unexpected CF_SYM_UNDEFINED\n';
        // One byte at a time for the first 7 bytes, then the rest: framing must not care.
        for (let i = 0; i < 7; i++) socket.write(reply[i]!);
        socket.write(reply.slice(7));
      });
    });
    await new Promise<void>((resolve) => server.listen(join(dir, 'bird.ctl'), resolve));
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  it('showProtocols() parses rows, continuation lines and both Since formats', async () => {
    const rows = await new BirdControl(join(dir, 'bird.ctl')).showProtocols();
    assert.deepEqual(rows.map((r) => [r.name, r.proto, r.state, r.since, r.info]), [
      ['device1', 'Device', 'up', '16:41:36.000', ''],
      ['kernel1', 'Kernel', 'up', '16:41:36.000', ''],
      ['Mesh_10_99_0_2', 'BGP', 'up', '2026-11-21 12:55:00', 'Established'],
    ]);
  });

  it('configure() resolves with BIRD\'s words on 0003', async () => {
    nextConfigure = 'configure';
    assert.equal(await new BirdControl(join(dir, 'bird.ctl')).configure(), 'Reconfigured');
  });

  it('configure() rejects with BIRD\'s message on 8002', async () => {
    nextConfigure = 'configure bad';
    await assert.rejects(new BirdControl(join(dir, 'bird.ctl')).configure(), (err: unknown) =>
      err instanceof BirdCommandError && err.replyCode === 8002 && err.message.includes('a.conf:5:1 syntax error, unexpected GARBAGE'));
  });

  it('request() fails with BirdUnreachableError when nothing listens', async () => {
    await assert.rejects(new BirdControl(join(dir, 'absent.ctl')).request('show status'), BirdUnreachableError);
  });

  it('alive() is true when BIRD answers', async () => {
    assert.equal(await new BirdControl(join(dir, 'bird.ctl')).alive(), true);
    assert.equal(await new BirdControl(join(dir, 'absent.ctl')).alive(), false);
  });
});

describe('parseBirdReply()', () => {
  const cases: [string, string, boolean, number[]][] = [
    ['final line ends the reply', '0003 Reconfigured\n', true, [3]],
    ['dash line continues', '0002-Reading\n', false, [2]],
    ['space line continues the previous code', '1002-a\n b\n', false, [1002, 1002]],
    ['table ends with 0000', '1002-a\n b\n0000 \n', true, [1002, 1002, 0]],
  ];
  for (const [name, text, done, codes] of cases) {
    it(`parseBirdReply() ${name}`, () => {
      const r = parseBirdReply(text);
      assert.equal(r.done, done);
      assert.deepEqual(r.lines.map((l) => l.code), codes);
    });
  }
  it('parseShowProtocols() ignores the header and the end marker', () => {
    const { lines } = parseBirdReply(REPLIES['show protocols']!);
    assert.equal(parseShowProtocols({ code: 0, lines }).length, 3);
  });
});
