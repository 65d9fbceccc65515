/**
 * OsloRpcClient without a broker: operations are bounded by the timeout and say why the broker
 * could not be reached; retries back off and are logged; close() ends waiting operations.
 * (Behaviour against RabbitMQ and neutron-server is in oslo-rpc-client.neutron.test.ts.)
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { NeutronRpcError } from './neutron-rpc-error.ts';
import { OsloRpcClient, type RpcLog } from './oslo-rpc-client.ts';

/** A loopback port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const address = srv.address();
  assert.ok(address && typeof address === 'object');
  await new Promise((resolve) => srv.close(resolve));
  return address.port;
}

function recordingLog(): RpcLog & { warnings: Array<Record<string, unknown>> } {
  const warnings: Array<Record<string, unknown>> = [];
  return { warnings, info: () => undefined, debug: () => undefined, warn: (msg, fields) => warnings.push({ msg, ...fields }) };
}

async function rejection(p: Promise<unknown>): Promise<NeutronRpcError> {
  const err = await p.then(() => assert.fail('expected a rejection'), (e: unknown) => e);
  assert.ok(err instanceof NeutronRpcError, `expected a NeutronRpcError, got ${String(err)}`);
  return err;
}

describe('OsloRpcClient without a broker', () => {
  it('reportState() times out naming the last connection error, and retries back off', async () => {
    const port = await closedPort();
    const log = recordingLog();
    const rpc = new OsloRpcClient({ transportUrl: `rabbit://u:secret@127.0.0.1:${port}/`, timeoutMs: 700, reconnectDelayMs: { initial: 100, max: 200 }, log });
    try {
      const started = Date.now();
      const err = await rejection(rpc.reportState('compute-1', true));
      assert.equal(err.code, 'CONTROLLER_RPC_TIMEOUT');
      assert.equal(err.method, 'report_state');
      assert.ok(err.retryable);
      assert.match(err.message, new RegExp(`report_state on topic 'q-reports-plugin' timed out after 700 ms waiting for the broker \\(last connection error: 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`));
      assert.doesNotMatch(err.message, /secret/);
      assert.ok(Date.now() - started < 3_000);
      // 100 ms, then 200 ms (the cap) between attempts.
      assert.ok(log.warnings.length >= 2, `${log.warnings.length} retries logged`);
      assert.deepEqual(log.warnings.slice(0, 3).map((w) => w.retryInMs), [100, 200, 200].slice(0, Math.min(3, log.warnings.length)));
    } finally {
      await rpc.close();
    }
  });

  it('close() ends an operation waiting for the broker with CONTROLLER_RPC_CLOSED', async () => {
    const rpc = new OsloRpcClient({ transportUrl: `rabbit://127.0.0.1:${await closedPort()}/`, timeoutMs: 10_000, reconnectDelayMs: { initial: 50, max: 50 } });
    const pending = rejection(rpc.deviceUp('p1', 'compute-1'));
    await new Promise((resolve) => setTimeout(resolve, 150));
    await rpc.close();
    const err = await pending;
    assert.equal(err.code, 'CONTROLLER_RPC_CLOSED');
    assert.equal(err.method, 'update_device_up');
    assert.equal(err.retryable, false);
    assert.equal((await rejection(rpc.deviceDown('p1', 'compute-1'))).code, 'CONTROLLER_RPC_CLOSED');
  });

  it('the constructor rejects a transport URL that is not RabbitMQ', () => {
    assert.throws(() => new OsloRpcClient({ transportUrl: 'kafka://127.0.0.1:9092/' }), { code: 'CONTROLLER_TRANSPORT_URL_INVALID' });
  });
});
