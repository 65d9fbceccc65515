/**
 * A dataplane for tests: applies calc-to-dataplane messages to in-memory state and throws on
 * any message that breaks the ordering contract of `messages.ts` (a policy naming an IP set
 * that does not exist, an IP set removed while a policy uses it, a delta that adds a member
 * already present, a remove of something never sent, …). `state()` is a plain, sorted snapshot
 * for `deepEqual`.
 * @module
 */
import {
  endpointKey, policyKey,
  type DataplaneMessage, type IPPoolInfo, type IPSetType, type LocalEndpoint, type PolicyRules, type ProfileRules,
  type RemoteWorkloadRoute, type Rule, type VTEP,
} from '../../messages.ts';

/** Everything the dataplane holds, in comparable form. */
export interface DataplaneState {
  inSync: boolean;
  config: Record<string, string> | undefined;
  ipsets: Record<string, { setType: IPSetType; members: string[] }>;
  policies: Record<string, PolicyRules>;
  profiles: Record<string, ProfileRules>;
  endpoints: Record<string, LocalEndpoint>;
  pools: Record<string, IPPoolInfo>;
  hosts: Record<string, { ipv4Address?: string; ipv6Address?: string }>;
  vteps: Record<string, VTEP>;
  routes: Record<string, RemoteWorkloadRoute>;
}

function ruleSets(rule: Rule): string[] {
  return [
    ...rule.srcIPSets, ...rule.notSrcIPSets, ...rule.dstIPSets, ...rule.notDstIPSets,
    ...rule.srcNamedPortIPSets, ...rule.notSrcNamedPortIPSets, ...rule.dstNamedPortIPSets, ...rule.notDstNamedPortIPSets,
  ];
}

function sorted<T>(map: Map<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const key of [...map.keys()].sort()) out[key] = map.get(key)!;
  return out;
}

/** The in-memory dataplane. */
export class MockDataplane {
  #inSync = false;
  #config: Record<string, string> | undefined;
  readonly #ipsets = new Map<string, { setType: IPSetType; members: Set<string> }>();
  readonly #policies = new Map<string, PolicyRules>();
  readonly #profiles = new Map<string, ProfileRules>();
  readonly #endpoints = new Map<string, LocalEndpoint>();
  readonly #pools = new Map<string, IPPoolInfo>();
  readonly #hosts = new Map<string, { ipv4Address?: string; ipv6Address?: string }>();
  readonly #vteps = new Map<string, VTEP>();
  readonly #routes = new Map<string, RemoteWorkloadRoute>();
  /** Every message applied, in order. */
  readonly log: DataplaneMessage[] = [];

  /** Applies messages in order; throws on the first that breaks the contract. */
  apply(messages: readonly DataplaneMessage[]): void {
    for (const msg of messages) {
      this.log.push(msg);
      this.#apply(msg);
    }
  }

  #apply(msg: DataplaneMessage): void {
    const fail = (why: string) => {
      throw new Error(`Dataplane contract broken by ${msg.type}: ${why}`);
    };
    switch (msg.type) {
      case 'in-sync':
        if (this.#inSync) fail('in-sync sent twice');
        this.#inSync = true;
        break;
      case 'config-update':
        this.#config = msg.config;
        break;
      case 'ipset-update':
        if (new Set(msg.members).size !== msg.members.length) fail(`set ${msg.id} lists a member twice`);
        this.#ipsets.set(msg.id, { setType: msg.setType, members: new Set(msg.members) });
        break;
      case 'ipset-delta': {
        const set = this.#ipsets.get(msg.id) ?? fail(`unknown set ${msg.id}`);
        for (const m of msg.removed) if (!set.members.delete(m)) fail(`set ${msg.id} has no member ${m} to remove`);
        for (const m of msg.added) {
          if (set.members.has(m)) fail(`set ${msg.id} already has member ${m}`);
          set.members.add(m);
        }
        break;
      }
      case 'ipset-remove':
        if (!this.#ipsets.delete(msg.id)) fail(`unknown set ${msg.id}`);
        for (const [key, rules] of [...this.#policies, ...this.#profiles]) {
          for (const rule of [...rules.inbound, ...rules.outbound]) if (ruleSets(rule).includes(msg.id)) fail(`set ${msg.id} still used by ${key}`);
        }
        break;
      case 'policy-update':
      case 'profile-update': {
        const rules = msg.type === 'policy-update' ? msg.policy : msg.profile;
        for (const rule of [...rules.inbound, ...rules.outbound]) {
          for (const id of ruleSets(rule)) if (!this.#ipsets.has(id)) fail(`rule uses set ${id}, which does not exist`);
        }
        if (msg.type === 'policy-update') this.#policies.set(policyKey(msg.id), msg.policy);
        else this.#profiles.set(msg.id, msg.profile);
        break;
      }
      case 'policy-remove': {
        const key = policyKey(msg.id);
        if (!this.#policies.delete(key)) fail(`unknown policy ${key}`);
        for (const [ep, e] of this.#endpoints) {
          for (const t of e.tiers) {
            if ([...t.ingressPolicies, ...t.egressPolicies].some((p) => policyKey(p) === key)) fail(`policy ${key} still used by ${ep}`);
          }
        }
        break;
      }
      case 'profile-remove':
        if (!this.#profiles.delete(msg.id)) fail(`unknown profile ${msg.id}`);
        for (const [ep, e] of this.#endpoints) if (e.profileIds.includes(msg.id)) fail(`profile ${msg.id} still used by ${ep}`);
        break;
      case 'endpoint-update':
        for (const t of msg.endpoint.tiers) {
          for (const p of [...t.ingressPolicies, ...t.egressPolicies]) if (!this.#policies.has(policyKey(p))) fail(`endpoint uses unknown policy ${policyKey(p)}`);
        }
        for (const p of msg.endpoint.profileIds) if (!this.#profiles.has(p)) fail(`endpoint uses unknown profile ${p}`);
        this.#endpoints.set(endpointKey(msg.id), msg.endpoint);
        break;
      case 'endpoint-remove':
        if (!this.#endpoints.delete(endpointKey(msg.id))) fail(`unknown endpoint ${endpointKey(msg.id)}`);
        break;
      case 'ippool-update':
        this.#pools.set(msg.id, msg.pool);
        break;
      case 'ippool-remove':
        if (!this.#pools.delete(msg.id)) fail(`unknown pool ${msg.id}`);
        break;
      case 'host-update':
        this.#hosts.set(msg.hostname, {
          ...(msg.ipv4Address !== undefined ? { ipv4Address: msg.ipv4Address } : {}),
          ...(msg.ipv6Address !== undefined ? { ipv6Address: msg.ipv6Address } : {}),
        });
        break;
      case 'host-remove':
        if (!this.#hosts.delete(msg.hostname)) fail(`unknown host ${msg.hostname}`);
        break;
      case 'vtep-update':
        this.#vteps.set(msg.vtep.node, msg.vtep);
        break;
      case 'vtep-remove':
        if (!this.#vteps.delete(msg.node)) fail(`unknown VTEP ${msg.node}`);
        break;
      case 'route-update':
        this.#routes.set(msg.route.cidr, msg.route);
        break;
      case 'route-remove':
        if (!this.#routes.delete(msg.cidr)) fail(`unknown route ${msg.cidr}`);
        break;
    }
  }

  /** The current state, sorted, with IP set members sorted. */
  state(): DataplaneState {
    const ipsets = new Map([...this.#ipsets].map(([id, s]) => [id, { setType: s.setType, members: [...s.members].sort() }]));
    return {
      inSync: this.#inSync,
      config: this.#config,
      ipsets: sorted(ipsets),
      policies: sorted(this.#policies),
      profiles: sorted(this.#profiles),
      endpoints: sorted(this.#endpoints),
      pools: sorted(this.#pools),
      hosts: sorted(this.#hosts),
      vteps: sorted(this.#vteps),
      routes: sorted(this.#routes),
    };
  }
}
