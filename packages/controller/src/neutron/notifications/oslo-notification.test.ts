/** Tests of oslo notification decoding: the 2.0 envelope, bare messages and malformed bodies. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MalformedNotificationError, parseOsloNotification } from './oslo-notification.ts';

const message = {
  message_id: '0f4c1c7e-3b1f-4f35-9a57-6bd1c0d3f1aa',
  publisher_id: 'network.controller-1',
  event_type: 'port.delete.end',
  priority: 'INFO',
  timestamp: '2026-11-21 13:03:41.349048',
  payload: { port_id: 'p1', port: { id: 'p1', network_id: 'n1' } },
  _context_project_id: 'fake_project_id',
};
const expected = {
  eventType: 'port.delete.end',
  payload: { port_id: 'p1', port: { id: 'p1', network_id: 'n1' } },
  timestamp: '2026-11-21 13:03:41.349048',
  messageId: '0f4c1c7e-3b1f-4f35-9a57-6bd1c0d3f1aa',
  receivedAt: 42.5,
};

describe('parseOsloNotification()', () => {
  it('parseOsloNotification() unwraps the messagingv2 envelope from a Buffer', () => {
    const body = Buffer.from(JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': JSON.stringify(message) }));
    assert.deepEqual(parseOsloNotification(body, 42.5), expected);
  });

  it('parseOsloNotification() reads a bare message (the v1 messaging driver)', () => {
    assert.deepEqual(parseOsloNotification(JSON.stringify(message), 42.5), expected);
  });

  it('parseOsloNotification() reads a body that is a view into a larger buffer', () => {
    const json = JSON.stringify(message);
    const big = Buffer.from(`xxxx${json}yyyy`);
    assert.deepEqual(parseOsloNotification(big.subarray(4, 4 + Buffer.byteLength(json)), 42.5), expected);
  });

  it('parseOsloNotification() leaves timestamp and messageId empty when the message has none', () => {
    const n = parseOsloNotification(JSON.stringify({ event_type: 'port.update.start', payload: { id: 'p1' } }), 1);
    assert.equal(n.timestamp, '');
    assert.equal(n.messageId, '');
  });

  const malformed: [string, string, RegExp][] = [
    ['a body that is not JSON', 'not json', /the message body is not JSON/],
    ['a JSON array', '[1]', /the message body is not a JSON object/],
    ['an envelope of version 1', JSON.stringify({ 'oslo.version': '1.0', 'oslo.message': JSON.stringify(message) }), /envelope version "1.0" is not 2.x/],
    ['an envelope without a version', JSON.stringify({ 'oslo.message': JSON.stringify(message) }), /envelope version undefined/],
    ['an envelope whose message is an object', JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': message }), /"oslo.message" is not a string/],
    ['an envelope whose message is not JSON', JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': '{' }), /"oslo.message" is not JSON/],
    ['a message without event_type', JSON.stringify({ payload: {} }), /"event_type" is missing/],
    ['a message whose payload is a list', JSON.stringify({ event_type: 'port.create.end', payload: [] }), /"payload" of "port.create.end" is not an object/],
  ];
  for (const [what, body, reason] of malformed) {
    it(`parseOsloNotification() rejects ${what}`, () => {
      assert.throws(() => parseOsloNotification(body, 0), (err: unknown) => {
        assert.ok(err instanceof MalformedNotificationError);
        assert.equal(err.code, 'CONTROLLER_NOTIFICATION_MALFORMED');
        assert.match(err.message, reason);
        return true;
      });
    });
  }
});
