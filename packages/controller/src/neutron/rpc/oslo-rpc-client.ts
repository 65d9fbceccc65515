/**
 * Neutron's agent RPC over RabbitMQ, speaking oslo.messaging's rabbit driver protocol as the
 * agents do: `report_state` is a cast on `q-reports-plugin`; `update_device_up`/`_down` are calls
 * on `q-plugin` answered on a private reply queue, so the controller sees failures. One
 * connection, opened lazily and reopened with bounded backoff after a loss (failing over
 * between the transport URL's brokers).
 * @module
 */
import * as amqp from 'amqplib';
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { parseTransportUrl, redactTransportUrl, type RabbitHost, type RabbitTransport } from '../notifications/transport-url.ts';
import { FELIX_AGENT_BINARY, FELIX_AGENT_TYPE, type NeutronAgentRpc } from '../types.ts';
import { NeutronRpcError } from './neutron-rpc-error.ts';
import { adminContext, decodeReply, encodeRequest, openEnvelope, osloId, osloIsoTime, type OsloReply } from './oslo-envelope.ts';

/** neutron-lib's `topics.REPORTS`: where agents cast `report_state`. */
export const REPORTS_TOPIC = 'q-reports-plugin';
/** neutron-lib's `topics.PLUGIN`: the ML2 agent API (`update_device_up`, …). */
export const PLUGIN_TOPIC = 'q-plugin';
/** `PluginReportStateAPI`'s target version (namespace `RPC_NAMESPACE_STATE` is None). */
export const REPORT_STATE_VERSION = '1.2';
/** `PluginApi`'s version for `update_device_up`/`_down`. */
export const PLUGIN_API_VERSION = '1.9';
/** neutron-lib's `L2_AGENT_TOPIC`, the `topic` a Felix agent reports. */
const FELIX_AGENT_TOPIC = 'N/A';

/** The logging seam (the controller's Logger satisfies it). */
export interface RpcLog {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  debug(msg: string, fields?: Record<string, unknown>): void;
}

/** Options of OsloRpcClient. */
export interface OsloRpcClientOptions {
  /** `[DEFAULT] transport_url`, e.g. `rabbit://user:pass@host1:5672,user:pass@host2:5672/vhost`. */
  transportUrl: string;
  /** `[DEFAULT] control_exchange` (default `neutron`). */
  exchange?: string;
  /** `[oslo_messaging_rabbit] amqp_durable_queues`: the exchange's durable flag, as oslo declares it (default false). */
  durable?: boolean;
  /** `[oslo_messaging_rabbit] amqp_auto_delete` (default false). */
  autoDelete?: boolean;
  /** Bound on each operation, reconnecting included (default 60 s, oslo's `rpc_response_timeout`). */
  timeoutMs?: number;
  /** Reconnect backoff: first delay and cap (default 200 ms doubling to 10 s). */
  reconnectDelayMs?: { initial: number; max: number };
  /** `agent_id` sent with device updates (Neutron only logs it; default `percale-controller`). */
  agentId?: string;
  log?: RpcLog;
  /** Clock for `time` and the context timestamp (tests). */
  now?: () => Date;
}

/** An open connection with its confirm channel and reply queue. */
interface Session {
  model: amqp.ChannelModel;
  channel: amqp.ConfirmChannel;
  replyQueue: string;
  /** `_unique_id`s of messages the broker returned as unroutable (arrives before the ack). */
  returned: Set<string>;
  closed: boolean;
}

interface PendingCall {
  method: string;
  resolve(result: unknown): void;
  reject(err: Error): void;
}

const silent: RpcLog = { info: () => undefined, warn: () => undefined, debug: () => undefined };

/** `NeutronAgentRpc` over oslo.messaging's RabbitMQ protocol. */
export class OsloRpcClient implements NeutronAgentRpc {
  readonly #transport: RabbitTransport;
  readonly #redactedUrl: string;
  readonly #exchange: string;
  readonly #durable: boolean;
  readonly #autoDelete: boolean;
  readonly #timeoutMs: number;
  readonly #backoff: { initial: number; max: number };
  readonly #agentId: string;
  readonly #log: RpcLog;
  readonly #now: () => Date;
  readonly #pending = new Map<string, PendingCall>();
  #session: Session | undefined;
  #connecting: Promise<Session> | undefined;
  #hostIndex = 0;
  /** Why the last connection attempt failed, for timeout messages while the broker is unreachable. */
  #lastConnectError: string | undefined;
  #closed = false;
  readonly #closing = new AbortController();

  constructor(options: OsloRpcClientOptions) {
    this.#transport = parseTransportUrl(options.transportUrl);
    this.#redactedUrl = redactTransportUrl(options.transportUrl);
    this.#exchange = options.exchange ?? 'neutron';
    this.#durable = options.durable ?? false;
    this.#autoDelete = options.autoDelete ?? false;
    this.#timeoutMs = options.timeoutMs ?? 60_000;
    this.#backoff = options.reconnectDelayMs ?? { initial: 200, max: 10_000 };
    this.#agentId = options.agentId ?? 'percale-controller';
    this.#log = options.log ?? silent;
    this.#now = options.now ?? (() => new Date());
  }

  /** Casts `report_state` for `host`'s Felix agent; resolves once the broker has routed it to neutron-server's queue. */
  async reportState(host: string, startFlag: boolean): Promise<void> {
    const now = this.#now();
    const agentState: Record<string, unknown> = {
      agent_type: FELIX_AGENT_TYPE,
      binary: FELIX_AGENT_BINARY,
      host,
      topic: FELIX_AGENT_TOPIC,
      configurations: {},
    };
    if (startFlag) agentState.start_flag = true;
    // PluginReportStateAPI tags each report with a UUID the server logs.
    agentState.uuid = randomUUID();
    await this.#send(REPORTS_TOPIC, REPORT_STATE_VERSION, 'report_state', {
      agent_state: { agent_state: agentState },
      time: osloIsoTime(now),
    }, now, false);
  }

  /** Calls `update_device_up`: the port is wired on `host` (Neutron completes the L2 provisioning block, then sets it ACTIVE). */
  async deviceUp(portId: string, host: string): Promise<void> {
    await this.#send(PLUGIN_TOPIC, PLUGIN_API_VERSION, 'update_device_up', { device: portId, agent_id: this.#agentId, host }, this.#now(), true);
  }

  /** Calls `update_device_down`: Neutron sets the port DOWN (a port bound elsewhere or gone is left alone). */
  async deviceDown(portId: string, host: string): Promise<void> {
    await this.#send(PLUGIN_TOPIC, PLUGIN_API_VERSION, 'update_device_down', { device: portId, agent_id: this.#agentId, host }, this.#now(), true);
  }

  /** Fails every operation in flight with CONTROLLER_RPC_CLOSED and closes the connection. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#closing.abort();
    this.#failPending((method) => new NeutronRpcError('CONTROLLER_RPC_CLOSED', method, `Neutron ${method} was abandoned: the RPC client was closed`));
    const session = this.#session;
    this.#session = undefined;
    if (session && !session.closed) {
      session.closed = true;
      await session.model.close().catch(() => undefined);
    }
  }

  /** Publishes one request and, for calls, waits for the reply; everything within the timeout. */
  async #send(topic: string, version: string, method: string, args: Record<string, unknown>, now: Date, call: boolean): Promise<unknown> {
    if (this.#closed) throw new NeutronRpcError('CONTROLLER_RPC_CLOSED', method, `Cannot send Neutron ${method}: the RPC client is closed`);
    const timeoutMs = this.#timeoutMs;
    const deadline = Date.now() + timeoutMs;
    const timeoutError = (what: string) =>
      new NeutronRpcError('CONTROLLER_RPC_TIMEOUT', method, `Neutron ${method} on topic '${topic}' timed out after ${timeoutMs} ms ${what} (${this.#redactedUrl})`);
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const connecting = this.#session === undefined && this.#lastConnectError !== undefined;
        reject(timeoutError(connecting ? `waiting for the broker (last connection error: ${this.#lastConnectError})` : 'waiting for the broker'));
      }, timeoutMs);
    });
    const msgId = call ? osloId() : undefined;
    try {
      const session = await Promise.race([this.#ensureSession(), expired]).catch((err: unknown) => {
        if (err instanceof NeutronRpcError && err.code === 'CONTROLLER_RPC_CLOSED') {
          throw new NeutronRpcError('CONTROLLER_RPC_CLOSED', method, `Neutron ${method} was abandoned: the RPC client was closed`);
        }
        throw err;
      });
      const uniqueId = osloId();
      let reply: Promise<unknown> | undefined;
      if (msgId) {
        reply = new Promise((resolve, reject) => this.#pending.set(msgId, { method, resolve, reject }));
        // Rejections are observed through the race below; keep an early one from being "unhandled".
        reply.catch(() => undefined);
      }
      const body = encodeRequest({
        method, args, version, context: adminContext(now), uniqueId,
        ...(msgId ? { reply: { msgId, queue: session.replyQueue } } : {}),
      });
      await Promise.race([this.#publish(session, topic, method, body, uniqueId, call ? Math.max(1, deadline - Date.now()) : undefined), expired]);
      if (!reply) return undefined;
      return await Promise.race([reply, expired.catch(() => {
        throw timeoutError('waiting for the reply');
      })]);
    } finally {
      clearTimeout(timer);
      if (msgId) this.#pending.delete(msgId);
    }
  }

  /** Publishes like oslo's topic_send (persistent JSON) plus `mandatory`, so an unconsumed topic is an error, not a silent drop. */
  #publish(session: Session, topic: string, method: string, body: Buffer, uniqueId: string, expirationMs: number | undefined): Promise<void> {
    return new Promise((resolve, reject) => {
      const options: amqp.Options.Publish = {
        contentType: 'application/json',
        contentEncoding: 'utf-8',
        headers: {},
        deliveryMode: 2,
        priority: 0,
        mandatory: true,
        // oslo sets the call timeout as the message TTL: a request nobody took in time is dropped.
        ...(expirationMs === undefined ? {} : { expiration: String(Math.ceil(expirationMs)) }),
      };
      try {
        session.channel.publish(this.#exchange, topic, body, options, (err: unknown) => {
          const wasReturned = session.returned.delete(uniqueId);
          if (err) {
            reject(new NeutronRpcError('CONTROLLER_RPC_CONNECTION_LOST', method, `Neutron ${method} was not accepted by RabbitMQ (${this.#redactedUrl}): ${errorText(err)}`, { cause: err }));
          } else if (wasReturned) {
            reject(new NeutronRpcError('CONTROLLER_RPC_UNROUTABLE', method,
              `Neutron ${method} could not be delivered: no neutron-server consumes topic '${topic}' on exchange '${this.#exchange}' (${this.#redactedUrl})`));
          } else {
            resolve();
          }
        });
      } catch (err) {
        reject(new NeutronRpcError('CONTROLLER_RPC_CONNECTION_LOST', method, `Neutron ${method} could not be published (${this.#redactedUrl}): ${errorText(err)}`, { cause: err }));
      }
    });
  }

  #ensureSession(): Promise<Session> {
    if (this.#session && !this.#session.closed) return Promise.resolve(this.#session);
    this.#connecting ??= this.#connectWithBackoff().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  /** Tries the brokers in turn, doubling the pause between rounds up to the cap, until connected or closed. */
  async #connectWithBackoff(): Promise<Session> {
    let pause = this.#backoff.initial;
    for (let attempt = 1; ; attempt++) {
      if (this.#closed) throw new NeutronRpcError('CONTROLLER_RPC_CLOSED', 'connect', 'The Neutron RPC client was closed while connecting');
      const host = this.#transport.hosts[this.#hostIndex % this.#transport.hosts.length]!;
      try {
        const session = await this.#open(host);
        if (this.#closed) {
          session.closed = true;
          await session.model.close().catch(() => undefined);
          throw new NeutronRpcError('CONTROLLER_RPC_CLOSED', 'connect', 'The Neutron RPC client was closed while connecting');
        }
        this.#session = session;
        this.#lastConnectError = undefined;
        this.#log.info('Connected to RabbitMQ for Neutron agent RPC', { broker: `${host.hostname}:${host.port}`, vhost: this.#transport.vhost, attempt });
        return session;
      } catch (err) {
        if (err instanceof NeutronRpcError) throw err;
        this.#lastConnectError = `${host.hostname}:${host.port}: ${errorText(err)}`;
        this.#hostIndex++;
        this.#log.warn('Cannot connect to RabbitMQ for Neutron agent RPC; retrying', {
          broker: `${host.hostname}:${host.port}`, attempt, retryInMs: pause, error: errorText(err),
        });
        await delay(pause, undefined, { signal: this.#closing.signal }).catch(() => undefined);
        pause = Math.min(pause * 2, this.#backoff.max);
      }
    }
  }

  async #open(host: RabbitHost): Promise<Session> {
    const model = await amqp.connect({
      protocol: 'amqp', hostname: host.hostname, port: host.port, username: host.username, password: host.password,
      vhost: this.#transport.vhost, heartbeat: 30,
    }, { timeout: 10_000, clientProperties: { connection_name: 'percale-neutron-controller agent RPC' } });
    try {
      const channel = await model.createConfirmChannel();
      const session: Session = { model, channel, replyQueue: `reply_${osloId()}`, returned: new Set(), closed: false };
      const lost = (err?: unknown) => this.#onLost(session, err);
      model.on('close', lost);
      model.on('error', lost);
      channel.on('close', lost);
      channel.on('error', lost);
      channel.on('return', (msg: amqp.Message) => {
        const id = uniqueIdOf(msg.content);
        if (id) session.returned.add(id);
      });
      // Declared as oslo's publisher does; a flag mismatch with neutron-server's declaration is a PRECONDITION_FAILED here, not later.
      await channel.assertExchange(this.#exchange, 'topic', { durable: this.#durable, autoDelete: this.#autoDelete });
      // Private to this connection: it disappears with it, and a new one is made on reconnect.
      await channel.assertQueue(session.replyQueue, { exclusive: true, autoDelete: true, durable: false });
      await channel.consume(session.replyQueue, (msg) => {
        if (msg) this.#onReply(msg.content);
      }, { noAck: true });
      return session;
    } catch (err) {
      await model.close().catch(() => undefined);
      throw err;
    }
  }

  #onReply(content: Buffer): void {
    let reply: OsloReply;
    try {
      reply = decodeReply(content);
    } catch (err) {
      this.#log.warn('Ignoring a malformed reply on the Neutron RPC reply queue', { error: errorText(err) });
      return;
    }
    const pending = this.#pending.get(reply.msgId);
    // Late replies (after a timeout) and call-monitor heartbeats are dropped.
    if (!pending || !reply.ending) return;
    this.#pending.delete(reply.msgId);
    if (reply.failure) {
      const f = reply.failure;
      const where = f.module ? `${f.module}.${f.className}` : f.className;
      pending.reject(new NeutronRpcError('CONTROLLER_RPC_REMOTE_ERROR', pending.method, `Neutron ${pending.method} failed in neutron-server: ${where}: ${f.message}`, { remote: f }));
    } else {
      pending.resolve(reply.result);
    }
  }

  /** The connection or channel broke: forget it and fail the calls waiting for replies on it (their reply queue is gone). */
  #onLost(session: Session, err?: unknown): void {
    if (session.closed) return;
    session.closed = true;
    if (this.#session === session) this.#session = undefined;
    session.model.close().catch(() => undefined);
    if (this.#closed) return;
    this.#log.warn('Lost the RabbitMQ connection for Neutron agent RPC; reconnecting on next use', { error: err === undefined ? 'closed' : errorText(err) });
    this.#failPending((method) => new NeutronRpcError('CONTROLLER_RPC_CONNECTION_LOST', method,
      `Neutron ${method} lost its RabbitMQ connection before the reply arrived (${this.#redactedUrl}); the outcome is unknown`, { cause: err }));
  }

  #failPending(make: (method: string) => Error): void {
    const calls = [...this.#pending.values()];
    this.#pending.clear();
    for (const call of calls) call.reject(make(call.method));
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function uniqueIdOf(content: Buffer): string | undefined {
  try {
    const id = openEnvelope(content)._unique_id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}
