/**
 * Turns active policies and profiles into their `pi-`/`po-`/`pri-`/`pro-` chains and owns the
 * content-addressed sets their rules share (a port or CIDR list used by several rules is one
 * set, deleted with its last user). Also answers which policy chains exist, so endpoint chains
 * never jump to a missing chain.
 * @module
 */
import type { NftTable } from '../drivers/nftables/nft-table.ts';
import type { NftSetSpec } from '../drivers/nftables/model.ts';
import { policyKey, type DataplaneMessage, type PolicyID, type PolicyRules, type ProfileRules, type Rule } from '../messages.ts';
import type { ChainLookup } from './endpoint-chains.ts';
import type { Manager } from './manager.ts';
import type { MarkBits } from './marks.ts';
import { ChainNames, SetNames, describePolicy } from './names.ts';
import type { DataplaneOptions } from './options.ts';
import { renderRule, type RuleContext } from './rule-renderer.ts';
import { familiesOf } from './static-chains.ts';

type Pending =
  | { kind: 'policy'; id: PolicyID; rules: PolicyRules | undefined }
  | { kind: 'profile'; id: string; rules: ProfileRules | undefined };

interface SharedSet {
  spec: NftSetSpec;
  elements: readonly string[];
  users: number;
}

/** A shared set a chain's rules refer to. */
interface UsedSet {
  name: string;
  kind: keyof typeof SHARED_TYPES;
  elements: readonly string[];
}

const SHARED_TYPES: Readonly<Record<'ports' | 'nets4' | 'nets6', readonly string[]>> = {
  ports: ['inet_service'],
  nets4: ['ipv4_addr'],
  nets6: ['ipv6_addr'],
};

/** Renders policy and profile chains. */
export class PolicyManager implements Manager, ChainLookup {
  readonly #table: NftTable;
  readonly #options: DataplaneOptions;
  readonly #marks: MarkBits;
  readonly #pending = new Map<string, Pending>();
  readonly #policies = new Set<string>();
  readonly #profiles = new Set<string>();
  /** Shared sets each chain uses. */
  readonly #chainSets = new Map<string, string[]>();
  readonly #shared = new Map<string, SharedSet>();
  /** `policy:<key>` / `profile:<id>` whose existence changed in the last `completeDeferredWork`. */
  readonly changedRefs = new Set<string>();

  constructor(table: NftTable, options: DataplaneOptions, marks: MarkBits) {
    this.#table = table;
    this.#options = options;
    this.#marks = marks;
  }

  onUpdate(msg: DataplaneMessage): void {
    switch (msg.type) {
      case 'policy-update':
        this.#pending.set(`policy:${policyKey(msg.id)}`, { kind: 'policy', id: msg.id, rules: msg.policy });
        break;
      case 'policy-remove':
        this.#pending.set(`policy:${policyKey(msg.id)}`, { kind: 'policy', id: msg.id, rules: undefined });
        break;
      case 'profile-update':
        this.#pending.set(`profile:${msg.id}`, { kind: 'profile', id: msg.id, rules: msg.profile });
        break;
      case 'profile-remove':
        this.#pending.set(`profile:${msg.id}`, { kind: 'profile', id: msg.id, rules: undefined });
        break;
      default:
    }
  }

  hasPolicy(id: PolicyID): boolean {
    return this.#policies.has(policyKey(id));
  }

  hasProfile(id: string): boolean {
    return this.#profiles.has(id);
  }

  completeDeferredWork(): void {
    this.changedRefs.clear();
    for (const [ref, p] of this.#pending) {
      const known = p.kind === 'policy' ? this.#policies : this.#profiles;
      const key = p.kind === 'policy' ? policyKey(p.id) : p.id;
      const existed = known.has(key);
      if (p.rules) {
        known.add(key);
        if (p.kind === 'policy') this.#renderPolicy(p.id, p.rules);
        else this.#renderProfile(p.id, p.rules);
      } else {
        known.delete(key);
        const names = p.kind === 'policy'
          ? [ChainNames.policy(p.id, 'ingress'), ChainNames.policy(p.id, 'egress')]
          : [ChainNames.profile(p.id, 'ingress'), ChainNames.profile(p.id, 'egress')];
        for (const name of names) {
          this.#table.deleteChain(name);
          this.#useSharedSets(name, []);
        }
      }
      if (existed !== known.has(key)) this.changedRefs.add(ref);
    }
    this.#pending.clear();
  }

  #context(tier: string, kind: string, namespace: string | undefined, name: string, used: UsedSet[]): RuleContext {
    const prefix = this.#options.logPrefix
      .replaceAll('%t', tier)
      .replaceAll('%k', kind)
      .replaceAll('%n', name)
      .replaceAll('%p', namespace ? `${namespace}/${name}` : name);
    return {
      families: familiesOf(this.#options),
      marks: this.#marks,
      denyVerdict: this.#options.filterDenyAction,
      ipSetName: (id, family) => SetNames.ipSet(id, family),
      sharedSet: (kind, elements) => {
        const setName = SetNames.shared(kind, elements);
        used.push({ name: setName, kind, elements });
        return setName;
      },
      logPrefix: prefix,
      logRateLimit: this.#options.logActionRateLimit,
      logRateBurst: this.#options.logActionRateLimitBurst,
    };
  }

  #renderChain(name: string, comment: string, rules: readonly Rule[], ctxFor: (used: UsedSet[]) => RuleContext): void {
    const used: UsedSet[] = [];
    const ctx = ctxFor(used);
    const nftRules = rules.flatMap((r, i) => renderRule(r, i, ctx));
    // Sets first: the chain's rules refer to them.
    this.#useSharedSets(name, used);
    this.#table.setChain({ name, comment, rules: nftRules });
  }

  #renderPolicy(id: PolicyID, p: PolicyRules): void {
    const ctx = (used: UsedSet[]) => this.#context(p.tier, id.kind, id.namespace, id.name, used);
    this.#renderChain(ChainNames.policy(id, 'ingress'), `${describePolicy(id)} ingress`, p.inbound, ctx);
    this.#renderChain(ChainNames.policy(id, 'egress'), `${describePolicy(id)} egress`, p.outbound, ctx);
  }

  #renderProfile(id: string, p: ProfileRules): void {
    const ctx = (used: UsedSet[]) => this.#context('', 'Profile', undefined, id, used);
    this.#renderChain(ChainNames.profile(id, 'ingress'), `Profile ${id} ingress`, p.inbound, ctx);
    this.#renderChain(ChainNames.profile(id, 'egress'), `Profile ${id} egress`, p.outbound, ctx);
  }

  /** Moves a chain's shared-set references to `used`, creating and deleting sets as counts change. */
  #useSharedSets(chain: string, used: readonly UsedSet[]): void {
    const before = this.#chainSets.get(chain) ?? [];
    const after = [...new Set(used.map((u) => u.name))];
    for (const u of used) {
      if (before.includes(u.name) || this.#shared.has(u.name)) continue;
      const spec: NftSetSpec = { name: u.name, type: SHARED_TYPES[u.kind], interval: true };
      this.#shared.set(u.name, { spec, elements: u.elements, users: 0 });
      this.#table.setSet(spec);
      this.#table.addElements(u.name, u.elements);
    }
    for (const name of after) if (!before.includes(name)) this.#shared.get(name)!.users++;
    for (const name of before) {
      if (after.includes(name)) continue;
      const s = this.#shared.get(name)!;
      if (--s.users === 0) {
        this.#shared.delete(name);
        this.#table.deleteSet(name);
      }
    }
    if (after.length > 0) this.#chainSets.set(chain, after);
    else this.#chainSets.delete(chain);
  }
}
