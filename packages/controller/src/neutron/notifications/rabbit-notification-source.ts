/**
 * The controller's NotificationSource in production: Neutron's notifications from RabbitMQ via
 * amqplib. It consumes from its own exclusive queue bound to Neutron's topic exchange, so it never
 * takes messages from the shared `notifications.info` queue other services read, and it
 * reconnects (failing over along the transport URL's hosts) after the broker goes away.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import amqp, { type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';
import type { NeutronNotification, NotificationSource } from '../types.ts';
import { parseOsloNotification } from './oslo-notification.ts';
import { parseTransportUrl, type RabbitHost, type RabbitTransport } from './transport-url.ts';

/** What the source says about its connection. */
export type NotificationSourceStatus =
  | {
      state: 'connected';
      /** `host:port` of the broker. */
      broker: string;
      /**
       * True after a loss: the queue was exclusive to the lost connection, so notifications sent
       * in between are gone and the controller must resync from Neutron's REST API.
       */
      eventsMayHaveBeenMissed: boolean;
    }
  | {
      state: 'disconnected';
      /** Why the connection was lost or could not be made. */
      error: string;
      /** When the next attempt starts. */
      retryInMs: number;
    };

/** The logging the source does (structurally the agent's Logger). */
export interface NotificationLog {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** Options of a RabbitNotificationSource. */
export interface RabbitNotificationSourceOptions {
  /** `[oslo_messaging_notifications] transport_url` (else `[DEFAULT] transport_url`) of neutron.conf. */
  transportUrl: string;
  /** Neutron's `control_exchange` (default `neutron`). */
  exchange?: string;
  /** `[oslo_messaging_notifications] topics` (default `notifications`); binds `<topic>.info` and `<topic>.error`. */
  topics?: readonly string[];
  /**
   * Attributes to declare the exchange with when it does not exist yet; they must be Neutron's,
   * i.e. oslo's `amqp_durable_queues` (default false) and `amqp_auto_delete` (default false). An
   * existing exchange is only checked, never redeclared.
   */
  exchangeDurable?: boolean;
  exchangeAutoDelete?: boolean;
  /** The queue's name (default `percale-neutron-notifications.<host>.<random>`). */
  queueName?: string;
  /** AMQP heartbeat in seconds (default 30; a dead broker is noticed after two missed beats). */
  heartbeatSeconds?: number;
  /** Limit for opening one connection (default 10 s). */
  connectTimeoutMs?: number;
  /** Unacknowledged messages in flight (default 100). */
  prefetch?: number;
  /** Wait after the first failed round over all hosts; doubles per round (default 500 ms). */
  reconnectMinDelayMs?: number;
  /** Upper bound of that wait (default 30 s). */
  reconnectMaxDelayMs?: number;
  /** Told about every connection and loss. */
  onStatus?: (status: NotificationSourceStatus) => void;
  log?: NotificationLog;
}

const PRIORITIES = ['info', 'error'] as const;

const stderrLog: NotificationLog = {
  info: () => {},
  warn: (msg, fields) => process.stderr.write(`[WARNING] ${msg} ${JSON.stringify(fields ?? {})}\n`),
  error: (msg, fields) => process.stderr.write(`[ERROR] ${msg} ${JSON.stringify(fields ?? {})}\n`),
};

/** Neutron's notifications from RabbitMQ, delivered in arrival order. */
export class RabbitNotificationSource implements NotificationSource {
  readonly #transport: RabbitTransport;
  readonly #exchange: string;
  readonly #bindings: string[];
  readonly #queue: string;
  readonly #options: RabbitNotificationSourceOptions;
  readonly #log: NotificationLog;
  readonly #closing = new AbortController();
  #onEvent: ((notification: NeutronNotification) => void) | undefined;
  #model: ChannelModel | undefined;
  /** Counts connections; events of an older one are ignored. */
  #generation = 0;
  #nextHost = 0;
  #connectedOnce = false;

  constructor(options: RabbitNotificationSourceOptions) {
    this.#transport = parseTransportUrl(options.transportUrl);
    this.#exchange = options.exchange ?? 'neutron';
    this.#bindings = (options.topics ?? ['notifications']).flatMap((t) => PRIORITIES.map((p) => `${t}.${p}`));
    this.#queue = options.queueName ?? `percale-neutron-notifications.${hostname()}.${randomBytes(4).toString('hex')}`;
    this.#options = options;
    this.#log = options.log ?? stderrLog;
  }

  /** The queue this source consumes from. */
  get queueName(): string {
    return this.#queue;
  }

  /**
   * Connects and starts consuming; resolves once consuming. While no broker can be reached it keeps
   * trying (reporting each failure through `onStatus`); rejects only if closed first.
   */
  async start(onEvent: (notification: NeutronNotification) => void): Promise<void> {
    if (this.#onEvent) throw new Error('RabbitNotificationSource.start() was already called');
    this.#onEvent = onEvent;
    await this.#connectUntilConsuming();
  }

  /** Stops consuming and closes the connection; the exclusive queue goes with it. */
  async close(): Promise<void> {
    if (this.#closing.signal.aborted) return;
    this.#closing.abort();
    const model = this.#model;
    this.#model = undefined;
    this.#generation++;
    if (model) await model.close().catch(() => {});
  }

  async #connectUntilConsuming(): Promise<void> {
    const hosts = this.#transport.hosts;
    for (let round = 0; ; round++) {
      let lastError = '';
      for (let i = 0; i < hosts.length; i++) {
        if (this.#closing.signal.aborted) throw new Error('RabbitNotificationSource was closed before it could consume');
        const host = hosts[this.#nextHost % hosts.length]!;
        try {
          await this.#connect(host);
          const reconnected = this.#connectedOnce;
          this.#connectedOnce = true;
          this.#log.info(reconnected ? 'Reconnected to RabbitMQ; notifications may have been missed' : 'Consuming Neutron notifications', {
            broker: brokerName(host), queue: this.#queue,
          });
          this.#status({ state: 'connected', broker: brokerName(host), eventsMayHaveBeenMissed: reconnected });
          return;
        } catch (err) {
          lastError = `${brokerName(host)}: ${(err as Error).message}`;
          this.#nextHost++;
        }
      }
      const min = this.#options.reconnectMinDelayMs ?? 500;
      const wait = Math.min(this.#options.reconnectMaxDelayMs ?? 30_000, min * 2 ** round);
      this.#log.warn('Cannot consume Neutron notifications from RabbitMQ', { error: lastError, retryInMs: wait });
      this.#status({ state: 'disconnected', error: lastError, retryInMs: wait });
      try {
        await delay(wait, undefined, { signal: this.#closing.signal });
      } catch {
        throw new Error('RabbitNotificationSource was closed before it could consume');
      }
    }
  }

  async #connect(host: RabbitHost): Promise<void> {
    const model = await amqp.connect(
      {
        protocol: 'amqp',
        hostname: host.hostname,
        port: host.port,
        username: host.username,
        password: host.password,
        // amqplib percent-decodes the vhost once more.
        vhost: encodeURIComponent(this.#transport.vhost),
        heartbeat: this.#options.heartbeatSeconds ?? 30,
      },
      { timeout: this.#options.connectTimeoutMs ?? 10_000, noDelay: true, clientProperties: { connection_name: `percale-controller ${hostname()}` } },
    );
    const generation = ++this.#generation;
    let live = false;
    const lost = (why: string) => {
      if (live && generation === this.#generation) {
        live = false;
        this.#onLost(model, host, why);
      }
    };
    model.on('error', (err: Error) => lost(err.message));
    model.on('close', (err?: Error) => lost(err?.message ?? 'connection closed'));
    try {
      const channel = await model.createChannel();
      channel.on('error', (err: Error) => lost(`channel error: ${err.message}`));
      // Deferred: when the connection goes, its own close (with the broker's reason) comes next and is the better report.
      channel.on('close', () => setImmediate(() => lost('channel closed')));
      await this.#ensureExchange(model, channel);
      await channel.assertQueue(this.#queue, { exclusive: true, autoDelete: true, durable: false });
      for (const key of this.#bindings) await channel.bindQueue(this.#queue, this.#exchange, key);
      await channel.prefetch(this.#options.prefetch ?? 100);
      await channel.consume(this.#queue, (msg) => {
        if (msg === null) lost('the broker cancelled the consumer');
        else this.#deliver(channel, msg);
      });
      if (this.#closing.signal.aborted) throw new Error('closed');
      this.#model = model;
      live = true;
    } catch (err) {
      await model.close().catch(() => {});
      throw err;
    }
  }

  /**
   * Makes sure the exchange exists without ever conflicting with Neutron's declaration: an existing
   * exchange is only checked (passively); a missing one is declared with Neutron's attributes.
   */
  async #ensureExchange(model: ChannelModel, channel: Channel): Promise<void> {
    const probe = await model.createChannel();
    // A failed passive check closes the probe channel with a 404; that is the answer, not an error.
    probe.on('error', () => {});
    try {
      await probe.checkExchange(this.#exchange);
      await probe.close();
    } catch {
      await channel.assertExchange(this.#exchange, 'topic', {
        durable: this.#options.exchangeDurable ?? false,
        autoDelete: this.#options.exchangeAutoDelete ?? false,
      });
    }
  }

  #deliver(channel: Channel, msg: ConsumeMessage): void {
    const receivedAt = performance.now();
    try {
      let notification: NeutronNotification | undefined;
      try {
        notification = parseOsloNotification(msg.content, receivedAt);
      } catch (err) {
        this.#log.warn('Dropping a message that is not a Neutron notification', { error: (err as Error).message, routingKey: msg.fields.routingKey });
      }
      if (notification) {
        try {
          this.#onEvent!(notification);
        } catch (err) {
          // The handler's failure is the controller's to fix; redelivering the message would repeat it forever.
          this.#log.error('Notification handler failed', { eventType: notification.eventType, error: (err as Error).message });
        }
      }
      channel.ack(msg);
    } catch (err) {
      // ack on a channel that just closed: the connection-loss path takes over.
      this.#log.warn('Could not acknowledge a notification', { error: (err as Error).message });
    }
  }

  #onLost(model: ChannelModel, host: RabbitHost, why: string): void {
    if (this.#closing.signal.aborted) return;
    if (this.#model === model) this.#model = undefined;
    model.close().catch(() => {});
    this.#log.warn('Lost the RabbitMQ connection; notifications may be missed until it is back', { broker: brokerName(host), error: why });
    this.#status({ state: 'disconnected', error: why, retryInMs: 0 });
    // Fail over: start with the next host, then go round the list.
    this.#nextHost++;
    this.#connectUntilConsuming().catch(() => {
      // Only a close() ends the loop, and then there is nothing left to report.
    });
  }

  #status(status: NotificationSourceStatus): void {
    try {
      this.#options.onStatus?.(status);
    } catch (err) {
      this.#log.error('Notification status callback failed', { error: (err as Error).message });
    }
  }
}

function brokerName(host: RabbitHost): string {
  return host.hostname.includes(':') ? `[${host.hostname}]:${host.port}` : `${host.hostname}:${host.port}`;
}
