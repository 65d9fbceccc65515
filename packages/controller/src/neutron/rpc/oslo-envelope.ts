/**
 * oslo.messaging's RPC wire format on RabbitMQ, as Neutron's agents send it: the `oslo.version`
 * 2.0 envelope around a JSON message with `method`, `args`, `version`, the caller's request
 * context flattened into `_context_*` keys, and for calls `_msg_id`/`_reply_q`; and the replies
 * neutron-server sends back. Pure functions; `oslo-rpc-client.ts` does the I/O.
 * @module
 */
import { randomUUID } from 'node:crypto';

/** oslo's envelope version (`_RPC_ENVELOPE_VERSION`). */
export const OSLO_ENVELOPE_VERSION = '2.0';

/** The request context oslo serialises (neutron-lib's `Context.to_dict()`), as a JSON object. */
export type OsloContext = Record<string, string | boolean | null | string[]>;

/** oslo's UUID form for message and request IDs: 32 lowercase hex digits (`uuid4().hex`). */
export function osloId(): string {
  return randomUUID().replaceAll('-', '');
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** `2026-11-21T16:51:47.287673`: neutron-lib's `ISO8601_TIME_FORMAT` in UTC, which `report_state`'s `time` must use. */
export function osloIsoTime(at: Date): string {
  return `${at.getUTCFullYear()}-${pad(at.getUTCMonth() + 1)}-${pad(at.getUTCDate())}T${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())}:${pad(at.getUTCSeconds())}.${pad(at.getUTCMilliseconds() * 1000, 6)}`;
}

/** `2026-11-21 16:51:47.284790`: the context's `timestamp` (`str(datetime)` in UTC). */
export function osloContextTime(at: Date): string {
  return osloIsoTime(at).replace('T', ' ');
}

/**
 * An admin context with exactly the keys neutron-lib's `get_admin_context().to_dict()` has in
 * Zed (captured from the wire): Neutron rebuilds its request context from these on the server.
 */
export function adminContext(at: Date, requestId = `req-${randomUUID()}`): OsloContext {
  return {
    user: null,
    project_id: null,
    system_scope: null,
    project: null,
    domain: null,
    user_domain: null,
    project_domain: null,
    is_admin: true,
    read_only: false,
    show_deleted: false,
    auth_token: null,
    request_id: requestId,
    global_request_id: null,
    resource_uuid: null,
    roles: [],
    user_identity: '- - - - -',
    is_admin_project: true,
    user_id: null,
    tenant_id: null,
    timestamp: osloContextTime(at),
    tenant_name: null,
    project_name: null,
    user_name: null,
  };
}

/** One RPC request before encoding. */
export interface OsloRequest {
  method: string;
  args: Record<string, unknown>;
  /** The target's API version (`1.2` for state reports, `1.9` for the plugin API). */
  version: string;
  /** The target's namespace; omitted when null, as oslo does. */
  namespace?: string | null;
  context: OsloContext;
  /** oslo's `_unique_id` (duplicate detection on the server). */
  uniqueId: string;
  /** For calls: where and under which ID the server replies. */
  reply?: { msgId: string; queue: string };
}

/**
 * The message body oslo publishes: `{"oslo.version": "2.0", "oslo.message": "<JSON>"}`, the inner
 * keys in oslo's order (method, args, namespace, version, call fields, `_unique_id`, context).
 */
export function encodeRequest(req: OsloRequest): Buffer {
  const msg: Record<string, unknown> = { method: req.method, args: req.args };
  if (req.namespace !== undefined && req.namespace !== null) msg.namespace = req.namespace;
  msg.version = req.version;
  if (req.reply) {
    msg._msg_id = req.reply.msgId;
    msg._reply_q = req.reply.queue;
    // No call-monitor heartbeats: the server then sends exactly one reply.
    msg._timeout = null;
  }
  msg._unique_id = req.uniqueId;
  for (const [key, value] of Object.entries(req.context)) msg[`_context_${key}`] = value;
  return Buffer.from(JSON.stringify({ 'oslo.version': OSLO_ENVELOPE_VERSION, 'oslo.message': JSON.stringify(msg) }));
}

/** The inner message of an enveloped body (or the body itself when it carries no envelope). */
export function openEnvelope(body: Buffer | string): Record<string, unknown> {
  const outer: unknown = JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
  if (typeof outer !== 'object' || outer === null || Array.isArray(outer)) throw new SyntaxError('oslo message is not a JSON object');
  const o = outer as Record<string, unknown>;
  if (!('oslo.version' in o)) return o;
  if (o['oslo.version'] !== OSLO_ENVELOPE_VERSION) throw new SyntaxError(`oslo envelope version ${JSON.stringify(o['oslo.version'])} is not ${OSLO_ENVELOPE_VERSION}`);
  if (typeof o['oslo.message'] !== 'string') throw new SyntaxError('oslo envelope has no "oslo.message" string');
  const inner: unknown = JSON.parse(o['oslo.message']);
  if (typeof inner !== 'object' || inner === null || Array.isArray(inner)) throw new SyntaxError('"oslo.message" is not a JSON object');
  return inner as Record<string, unknown>;
}

/** An exception the server raised while handling a call (oslo's `serialize_remote_exception`). */
export interface OsloRemoteFailure {
  /** Exception class name, e.g. `PortNotFound`. */
  className: string;
  /** Its module, e.g. `neutron_lib.exceptions`. */
  module: string;
  message: string;
  /** The server-side traceback lines. */
  traceback: string[];
}

/** A decoded reply to a call. */
export interface OsloReply {
  msgId: string;
  result: unknown;
  failure: OsloRemoteFailure | undefined;
  /** False for call-monitor heartbeats, which carry no result. */
  ending: boolean;
}

function parseFailure(raw: unknown): OsloRemoteFailure | undefined {
  if (raw === null || raw === undefined) return undefined;
  let data: unknown = raw;
  if (typeof raw === 'string') {
    try {
      data = JSON.parse(raw);
    } catch {
      return { className: 'Exception', module: '', message: raw, traceback: [] };
    }
  }
  const f = (typeof data === 'object' && data !== null ? data : {}) as Record<string, unknown>;
  return {
    className: typeof f.class === 'string' ? f.class : 'Exception',
    module: typeof f.module === 'string' ? f.module : '',
    message: typeof f.message === 'string' ? f.message : JSON.stringify(data),
    traceback: Array.isArray(f.tb) ? f.tb.map(String) : [],
  };
}

/** Decodes a reply neutron-server published to our reply queue; throws SyntaxError when it is not one. */
export function decodeReply(body: Buffer | string): OsloReply {
  const msg = openEnvelope(body);
  if (typeof msg._msg_id !== 'string') throw new SyntaxError('oslo reply has no "_msg_id"');
  return {
    msgId: msg._msg_id,
    result: msg.result ?? null,
    failure: parseFailure(msg.failure),
    // Replies from before oslo added `ending` are single replies.
    ending: msg.ending === undefined ? true : msg.ending !== false,
  };
}
