/**
 * Turns Neutron notifications into dynamic-sync work: which port, security group or subnet a
 * `*.create.end` / `*.update.end` / `*.delete.end` event touches, including the indirect ones
 * (a floating IP's old and new port, a rule's group when the delete payload carries only the
 * rule id, the ports of a renamed network or group, the ports with a QoS policy when a QoS
 * bandwidth or packet-rate rule changes). Work goes through a `KeyedQueue`, so
 * events for one object never race and a burst of them costs one sync.
 * @module
 */
import type { Logger } from '@percale/daemon';
import type { NeutronFloatingIp, NeutronNotification, NeutronPort, NeutronSecurityGroup } from '../neutron/types.ts';
import type { DynamicSync } from './dynamic-sync.ts';
import type { EndpointIndex } from './endpoint-index.ts';
import { KeyedQueue } from './keyed-queue.ts';

type Payload = Record<string, unknown>;

/**
 * The QoS rule resources whose changes reach `qosControls` (bandwidth and packet-rate limits),
 * as Neutron's QoS service plugin names them in its `<resource>.<action>.end` notifications.
 * Their payloads carry the rule but not its policy (the API view drops `qos_policy_id`).
 */
const QOS_RULE_RESOURCES: ReadonlySet<string> = new Set(['bandwidth_limit_rule', 'alias_bandwidth_limit_rule', 'packet_rate_limit_rule']);


function isObject(v: unknown): v is Payload {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Ids of resource `kind` a payload names: `{kind: {id}}`, `{kind_id}`, or a bulk `{kinds: [...]}`. */
function idsIn(payload: Payload, kind: string): string[] {
  const ids: string[] = [];
  const one = payload[kind];
  if (isObject(one) && typeof one.id === 'string') ids.push(one.id);
  const byId = payload[`${kind}_id`];
  if (typeof byId === 'string' && !ids.includes(byId)) ids.push(byId);
  const many = payload[`${kind}s`];
  if (Array.isArray(many)) for (const o of many) if (isObject(o) && typeof o.id === 'string') ids.push(o.id);
  return ids;
}

/** True for a payload object with what a port hint needs (ids of the objects to read with it). */
function isPortShaped(o: Payload): o is Payload & NeutronPort {
  return typeof o.id === 'string' && typeof o.network_id === 'string' && Array.isArray(o.fixed_ips) && Array.isArray(o.security_groups);
}

/** The objects of `kind` a payload carries in full. */
function objectsIn(payload: Payload, kind: string): Payload[] {
  const out: Payload[] = [];
  if (isObject(payload[kind])) out.push(payload[kind]);
  const many = payload[`${kind}s`];
  if (Array.isArray(many)) for (const o of many) if (isObject(o)) out.push(o);
  return out;
}

export interface NotificationRouterOptions {
  sync: DynamicSync;
  index: EndpointIndex;
  log: Logger;
  /** Syncs in flight over all objects (default 16). */
  concurrency?: number;
  /** Called after each completed sync of a key (latency measurements, tests). */
  onSynced?: (key: string) => void;
}

/** Routes notifications to per-object syncs. */
export class NotificationRouter {
  readonly #sync: DynamicSync;
  readonly #index: EndpointIndex;
  readonly #log: Logger;
  readonly #queue: KeyedQueue;
  /** Security-group rule id → its group, for rule deletes that name only the rule. */
  readonly #ruleGroups = new Map<string, string>();
  /** Security-group rule id → the group it allows traffic from (`remote_group_id`), when it has one. */
  readonly #ruleRemotes = new Map<string, string>();
  /** Floating IP id → the port it was last seen on, for disassociation and deletion. */
  readonly #fipPorts = new Map<string, string>();
  /** The latest port an event carried, per port id, until its sync starts (a hint, never trusted as state). */
  readonly #portHints = new Map<string, NeutronPort>();

  constructor(options: NotificationRouterOptions) {
    this.#sync = options.sync;
    this.#index = options.index;
    this.#log = options.log;
    this.#queue = new KeyedQueue({
      concurrency: options.concurrency ?? 16,
      run: async (key) => {
        await this.#run(key);
        options.onSynced?.(key);
      },
      onError: (key, err) => this.#log.error('Dynamic sync failed; the next resync repairs it', { object: key, error: err }),
    });
  }

  /** The queue (the application pauses it around a resync). */
  get queue(): KeyedQueue {
    return this.#queue;
  }

  /** Learns rule → group from full groups (a resync's or a sync's read). */
  learnSecurityGroups(groups: readonly NeutronSecurityGroup[], full = false): void {
    if (full) {
      this.#ruleGroups.clear();
      this.#ruleRemotes.clear();
    }
    for (const g of groups) for (const r of g.security_group_rules) this.#learnRule(r.id, g.id, r.remote_group_id);
  }

  /** Learns floating IP → port from a full list. */
  learnFloatingIps(fips: readonly NeutronFloatingIp[]): void {
    this.#fipPorts.clear();
    for (const f of fips) if (f.port_id) this.#fipPorts.set(f.id, f.port_id);
  }

  /** Forgets a deleted group's rules, or records a re-read group's. */
  noteSecurityGroup(id: string, group: NeutronSecurityGroup | undefined): void {
    for (const [rule, g] of this.#ruleGroups) {
      if (g !== id) continue;
      this.#ruleGroups.delete(rule);
      this.#ruleRemotes.delete(rule);
    }
    if (group) this.learnSecurityGroups([group]);
  }

  #learnRule(ruleId: string, group: string, remote: unknown): void {
    this.#ruleGroups.set(ruleId, group);
    if (typeof remote === 'string' && remote !== '') this.#ruleRemotes.set(ruleId, remote);
    else this.#ruleRemotes.delete(ruleId);
  }

  /** Routes one notification. Unknown event types are ignored. */
  handle(n: NeutronNotification): void {
    const [resource, action, phase] = splitEventType(n.eventType);
    if (phase !== 'end') return;
    const p = n.payload;
    // Whatever changed must be read again by the syncs that follow.
    if (resource === 'network' || resource === 'subnet' || resource === 'security_group') {
      for (const id of idsIn(p, resource)) this.#sync.invalidate(resource, id);
    }
    switch (resource) {
      case 'port':
        if (action === 'delete') {
          // A late update payload of a deleted port must never bring its endpoint back.
          for (const id of idsIn(p, 'port')) {
            this.#portHints.delete(id);
            this.#sync.notePortDeleted(id);
          }
        } else {
          for (const port of objectsIn(p, 'port')) if (isPortShaped(port)) this.#keepHint(port);
        }
        for (const id of idsIn(p, 'port')) this.#queue.request(`port:${id}`);
        return;
      case 'security_group':
        for (const id of idsIn(p, 'security_group')) {
          this.#queue.request(`sg:${id}`);
          // Neutron deletes the rules of other groups that allowed traffic from this one, without
          // announcing it: those groups' policies must lose the rules too.
          if (action === 'delete') for (const g of this.#groupsReferring(id)) this.#queue.request(`sg:${g}`);
          // A rename changes the name labels of the group's ports (networking-calico waits for the next rewrite).
          if (action === 'update') for (const port of this.#index.portsOfSecurityGroup(id)) this.#queue.request(`port:${port}`);
        }
        return;
      case 'security_group_rule':
        this.#routeRule(p);
        return;
      case 'subnet':
        for (const id of idsIn(p, 'subnet')) this.#queue.request(`subnet:${id}`);
        // A changed gateway is the ipv4Gateway/ipv6Gateway of the network's endpoints.
        if (action === 'update') {
          for (const subnet of objectsIn(p, 'subnet')) {
            if (typeof subnet.network_id === 'string') for (const port of this.#index.portsOfNetwork(subnet.network_id)) this.#queue.request(`port:${port}`);
          }
        }
        return;
      case 'floatingip':
        this.#routeFloatingIp(p, action);
        return;
      case 'network':
        // The network name is a label on its ports' endpoints; create and delete change nothing.
        if (action === 'update') for (const id of idsIn(p, 'network')) for (const port of this.#index.portsOfNetwork(id)) this.#queue.request(`port:${port}`);
        return;
      default:
        // A rule's policy is not in the payload, so every port with a QoS policy is checked.
        // (A policy's own update cannot change its rules, and one in use cannot be deleted.)
        if (QOS_RULE_RESOURCES.has(resource)) this.#queue.request('qos:*');
    }
  }

  /** Keeps the newest of the port copies events carried (neutron-servers may deliver out of order). */
  #keepHint(port: NeutronPort): void {
    const held = this.#portHints.get(port.id)?.revision_number;
    if (held !== undefined && (port.revision_number === undefined || port.revision_number < held)) return;
    this.#portHints.set(port.id, port);
  }

  #routeRule(p: Payload): void {
    const groups = new Set<string>();
    const drop = (g: string) => this.#sync.invalidate('security_group', g);
    for (const rule of objectsIn(p, 'security_group_rule')) {
      if (typeof rule.security_group_id === 'string') {
        groups.add(rule.security_group_id);
        if (typeof rule.id === 'string') this.#learnRule(rule.id, rule.security_group_id, rule.remote_group_id);
      }
    }
    for (const ruleId of idsIn(p, 'security_group_rule')) {
      const group = this.#ruleGroups.get(ruleId);
      if (group) groups.add(group);
      else if (!objectsIn(p, 'security_group_rule').some((r) => r.id === ruleId)) {
        this.#log.warn('Security group rule event for a rule of an unknown group; syncing every group', { rule: ruleId });
        this.#queue.request('sg:*');
      }
    }
    for (const g of groups) {
      drop(g);
      this.#queue.request(`sg:${g}`);
    }
  }

  /** Groups with a rule that allows traffic from group `id`. */
  #groupsReferring(id: string): Set<string> {
    const groups = new Set<string>();
    for (const [rule, remote] of this.#ruleRemotes) {
      const group = this.#ruleGroups.get(rule);
      if (remote === id && group !== undefined && group !== id) groups.add(group);
    }
    return groups;
  }

  #routeFloatingIp(p: Payload, action: string): void {
    const ports = new Set<string>();
    for (const fip of objectsIn(p, 'floatingip')) {
      if (typeof fip.id !== 'string') continue;
      const old = this.#fipPorts.get(fip.id);
      if (old) ports.add(old);
      if (typeof fip.port_id === 'string' && fip.port_id !== '' && action !== 'delete') {
        ports.add(fip.port_id);
        this.#fipPorts.set(fip.id, fip.port_id);
      } else {
        this.#fipPorts.delete(fip.id);
      }
    }
    for (const id of idsIn(p, 'floatingip')) {
      const old = this.#fipPorts.get(id);
      if (old) ports.add(old);
      else if (!objectsIn(p, 'floatingip').some((f) => f.id === id)) {
        // Which port lost it is unknown: no port's cached floating IPs can be trusted any more.
        this.#sync.floatingIps.invalidateAll();
      }
      if (action === 'delete') this.#fipPorts.delete(id);
    }
    for (const port of ports) {
      this.#sync.floatingIps.invalidate(port);
      this.#queue.request(`port:${port}`);
    }
  }

  async #run(key: string): Promise<void> {
    const colon = key.indexOf(':');
    const kind = key.slice(0, colon);
    const id = key.slice(colon + 1);
    if (kind === 'port') {
      const hint = this.#portHints.get(id);
      this.#portHints.delete(id);
      await this.#sync.syncPort(id, hint);
    }
    else if (kind === 'subnet') await this.#sync.syncSubnet(id);
    else if (kind === 'qos') for (const port of await this.#sync.portsWithQosPolicy()) this.#queue.request(`port:${port}`);
    else if (kind === 'sg' && id === '*') for (const g of new Set(this.#ruleGroups.values())) this.#queue.request(`sg:${g}`);
    else if (kind === 'sg') await this.#sync.syncSecurityGroup(id);
  }

  /** Waits until every requested sync has run (tests, shutdown). */
  idle(): Promise<void> {
    return this.#queue.idle();
  }

  async close(): Promise<void> {
    await this.#queue.close();
  }
}

/** `security_group_rule.delete.end` → [`security_group_rule`, `delete`, `end`]. */
export function splitEventType(eventType: string): [string, string, string] {
  const parts = eventType.split('.');
  if (parts.length < 3) return [eventType, '', ''];
  return [parts.slice(0, -2).join('.'), parts[parts.length - 2]!, parts[parts.length - 1]!];
}
