/**
 * Tests of the oslo.messaging RPC encoding against messages captured from Neutron's own agent
 * RPC clients (neutron 21 / oslo.messaging 14, `PluginReportStateAPI.report_state` and
 * `PluginApi.update_device_up` over RabbitMQ), and of reply decoding.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  adminContext, decodeReply, encodeRequest, openEnvelope, osloContextTime, osloId, osloIsoTime,
} from './oslo-envelope.ts';

const CONTEXT_KEYS = '"_context_user": null, "_context_project_id": null, "_context_system_scope": null, "_context_project": null, "_context_domain": null, "_context_user_domain": null, "_context_project_domain": null, "_context_is_admin": true, "_context_read_only": false, "_context_show_deleted": false, "_context_auth_token": null, "_context_request_id": "req-51b72efb-72f0-4e0b-9833-f99e57d89eeb", "_context_global_request_id": null, "_context_resource_uuid": null, "_context_roles": [], "_context_user_identity": "- - - - -", "_context_is_admin_project": true, "_context_user_id": null, "_context_tenant_id": null, "_context_timestamp": "2026-11-21 16:51:47.284000", "_context_tenant_name": null, "_context_project_name": null, "_context_user_name": null';

// Captured on the wire (routing keys q-reports-plugin and q-plugin on exchange "neutron");
// only the context timestamp's sub-millisecond digits are zeroed (JavaScript clocks have ms).
const CAPTURED_REPORT_STATE = `{"oslo.version": "2.0", "oslo.message": ${JSON.stringify(`{"method": "report_state", "args": {"agent_state": {"agent_state": {"agent_type": "Calico per-host agent (felix)", "binary": "calico-felix", "host": "h1", "topic": "N/A", "start_flag": true, "uuid": "7e4b2455-d32a-4444-a249-5aeecf550aa3"}}, "time": "2026-11-21T16:51:47.287000"}, "version": "1.2", "_unique_id": "0921dcc0b37344858b7035d1981300ea", ${CONTEXT_KEYS}}`)}}`;
const CAPTURED_DEVICE_UP = `{"oslo.version": "2.0", "oslo.message": ${JSON.stringify(`{"method": "update_device_up", "args": {"device": "port-uuid", "agent_id": "calico", "host": "h1"}, "version": "1.9", "_msg_id": "76966087767c44778f06613294d70e16", "_reply_q": "reply_5ed6b0608bd64f3aabe1a8cb5a68845d", "_timeout": null, "_unique_id": "f1e5ee7c21ae4f56b2766632cf6f800e", ${CONTEXT_KEYS}}`)}}`;

const CONTEXT_AT = new Date('2026-11-21T16:51:47.284Z');
const context = adminContext(CONTEXT_AT, 'req-51b72efb-72f0-4e0b-9833-f99e57d89eeb');

describe('encodeRequest()', () => {
  it('encodeRequest() produces the report_state cast Neutron agents send, key for key and in order', () => {
    const body = encodeRequest({
      method: 'report_state',
      args: {
        agent_state: {
          agent_state: {
            agent_type: 'Calico per-host agent (felix)', binary: 'calico-felix', host: 'h1', topic: 'N/A', start_flag: true,
            uuid: '7e4b2455-d32a-4444-a249-5aeecf550aa3',
          },
        },
        time: osloIsoTime(new Date('2026-11-21T16:51:47.287Z')),
      },
      version: '1.2',
      namespace: null,
      context,
      uniqueId: '0921dcc0b37344858b7035d1981300ea',
    });
    const ours = openEnvelope(body);
    const theirs = openEnvelope(CAPTURED_REPORT_STATE);
    assert.deepEqual(ours, theirs);
    assert.deepEqual(Object.keys(ours), Object.keys(theirs));
    assert.deepEqual(Object.keys(JSON.parse(body.toString()) as object), ['oslo.version', 'oslo.message']);
  });

  it('encodeRequest() produces the update_device_up call with its reply fields', () => {
    const body = encodeRequest({
      method: 'update_device_up',
      args: { device: 'port-uuid', agent_id: 'calico', host: 'h1' },
      version: '1.9',
      context,
      uniqueId: 'f1e5ee7c21ae4f56b2766632cf6f800e',
      reply: { msgId: '76966087767c44778f06613294d70e16', queue: 'reply_5ed6b0608bd64f3aabe1a8cb5a68845d' },
    });
    const ours = openEnvelope(body);
    const theirs = openEnvelope(CAPTURED_DEVICE_UP);
    assert.deepEqual(ours, theirs);
    assert.deepEqual(Object.keys(ours), Object.keys(theirs));
  });

  it('encodeRequest() includes a namespace only when the target has one', () => {
    const msg = openEnvelope(encodeRequest({ method: 'm', args: {}, version: '1.0', namespace: 'ns', context: {}, uniqueId: 'u' }));
    assert.deepEqual(Object.keys(msg), ['method', 'args', 'namespace', 'version', '_unique_id']);
  });
});

describe('oslo times and IDs', () => {
  const cases: Array<[string, string, string]> = [
    ['2026-11-21T16:51:47.287Z', '2026-11-21T16:51:47.287000', '2026-11-21 16:51:47.287000'],
    ['2026-01-02T03:04:05.006Z', '2026-01-02T03:04:05.006000', '2026-01-02 03:04:05.006000'],
    ['2026-12-31T23:59:59.999Z', '2026-12-31T23:59:59.999000', '2026-12-31 23:59:59.999000'],
  ];
  for (const [iso, wantIso, wantContext] of cases) {
    it(`osloIsoTime() and osloContextTime() format ${iso} in UTC with microseconds`, () => {
      assert.equal(osloIsoTime(new Date(iso)), wantIso);
      assert.equal(osloContextTime(new Date(iso)), wantContext);
    });
  }

  it('osloId() is 32 lowercase hex digits and unique', () => {
    const a = osloId();
    assert.match(a, /^[0-9a-f]{32}$/);
    assert.notEqual(a, osloId());
  });
});

describe('decodeReply()', () => {
  const envelope = (msg: object) => JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': JSON.stringify(msg) });

  it('decodeReply() returns the result of a successful call', () => {
    const reply = decodeReply(envelope({ result: { device: 'p1', exists: true }, failure: null, ending: true, _msg_id: 'abc', _unique_id: 'u' }));
    assert.deepEqual(reply, { msgId: 'abc', result: { device: 'p1', exists: true }, failure: undefined, ending: true });
  });

  it('decodeReply() decodes a remote exception as oslo serialises it', () => {
    const failure = JSON.stringify({
      class: 'PortNotFound', module: 'neutron_lib.exceptions', message: 'Port p1 could not be found.',
      tb: ['Traceback (most recent call last):\n', 'neutron_lib.exceptions.PortNotFound: Port p1 could not be found.\n'],
      args: [], kwargs: { port_id: 'p1' },
    });
    const reply = decodeReply(envelope({ result: null, failure, ending: true, _msg_id: 'abc', _unique_id: 'u' }));
    assert.equal(reply.failure?.className, 'PortNotFound');
    assert.equal(reply.failure?.module, 'neutron_lib.exceptions');
    assert.equal(reply.failure?.message, 'Port p1 could not be found.');
    assert.equal(reply.failure?.traceback.length, 2);
  });

  it('decodeReply() marks call-monitor heartbeats as not ending', () => {
    assert.equal(decodeReply(envelope({ result: null, failure: null, ending: false, _msg_id: 'abc' })).ending, false);
  });

  const malformed: Array<[string, string]> = [
    ['not JSON', 'nope'],
    ['a JSON array', '[]'],
    ['another envelope version', JSON.stringify({ 'oslo.version': '1.0', 'oslo.message': '{}' })],
    ['no _msg_id', envelope({ result: 1 })],
  ];
  for (const [name, body] of malformed) {
    it(`decodeReply() rejects ${name}`, () => {
      assert.throws(() => decodeReply(body), SyntaxError);
    });
  }
});
