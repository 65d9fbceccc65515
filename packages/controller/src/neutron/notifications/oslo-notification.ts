/**
 * Decoding of oslo.messaging notifications as Neutron's messagingv2 driver publishes them: the
 * 2.0 envelope `{"oslo.version":"2.0","oslo.message":"<JSON>"}` or a bare message (the v1
 * `messaging` driver), into the controller's NeutronNotification.
 * @module
 */
import type { NeutronNotification } from '../types.ts';

/** A message body that is not an oslo notification; the source logs and drops it. */
export class MalformedNotificationError extends Error {
  readonly code = 'CONTROLLER_NOTIFICATION_MALFORMED';

  constructor(reason: string) {
    super(`Malformed Neutron notification: ${reason}`);
    this.name = 'MalformedNotificationError';
  }
}

function parseJsonObject(text: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new MalformedNotificationError(`${what} is not JSON (${(err as Error).message})`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new MalformedNotificationError(`${what} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

/**
 * Decodes one AMQP message body. `receivedAt` is the caller's `performance.now()` at arrival.
 * Throws MalformedNotificationError when the body is not a notification of envelope version 2.x
 * or a bare one (`event_type` must be a string, `payload` an object).
 */
export function parseOsloNotification(body: Uint8Array | string, receivedAt: number): NeutronNotification {
  const text = typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  let message = parseJsonObject(text, 'the message body');
  if ('oslo.message' in message) {
    const version = message['oslo.version'];
    if (typeof version !== 'string' || !/^2(\.|$)/.test(version)) {
      throw new MalformedNotificationError(`envelope version ${JSON.stringify(version)} is not 2.x`);
    }
    const inner = message['oslo.message'];
    if (typeof inner !== 'string') throw new MalformedNotificationError('"oslo.message" is not a string');
    message = parseJsonObject(inner, '"oslo.message"');
  }
  const { event_type: eventType, payload, timestamp, message_id: messageId } = message;
  if (typeof eventType !== 'string' || eventType === '') throw new MalformedNotificationError('"event_type" is missing');
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    throw new MalformedNotificationError(`"payload" of ${JSON.stringify(eventType)} is not an object`);
  }
  return {
    eventType,
    payload: payload as Record<string, unknown>,
    timestamp: typeof timestamp === 'string' ? timestamp : '',
    messageId: typeof messageId === 'string' ? messageId : '',
    receivedAt,
  };
}
