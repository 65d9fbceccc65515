/**
 * The agent's calculation graph (Felix's `NewCalculationGraph`): the only place its nodes are
 * created and wired. Datastore watch events go in; ordered dataplane messages come out of
 * `flush()`. Everything in between is synchronous: no awaits, timers or I/O.
 * @module
 */
import type { WatchEvent } from '@percale/datastore';
import type { DataplaneMessage } from '../messages.ts';
import { ActiveRulesCalculator } from './active-rules-calculator.ts';
import { ConfigBatcher } from './config-batcher.ts';
import { DataplanePassthru } from './dataplane-passthru.ts';
import { Dispatcher } from './dispatcher.ts';
import { EventSequencer } from './event-sequencer.ts';
import { IPSetMemberIndex } from './ip-set-member-index.ts';
import { LabelInheritanceIndex } from './label-inheritance-index.ts';
import { LocalEndpointFilter } from './local-endpoint-filter.ts';
import { PolicyResolver } from './policy-resolver.ts';
import { RuleScanner } from './rule-scanner.ts';
import { TunnelRouteResolver } from './tunnel-route-resolver.ts';
import { ValidationFilter, type ValidationStats, type WorkloadSourceSpoofing } from './validation-filter.ts';

/** How the graph is set up. */
export interface CalcGraphOptions {
  /** This host's name (`FelixHostname`): WorkloadEndpoints whose `spec.node` equals it are local. */
  hostname: string;
  /**
   * `WorkloadSourceSpoofing` from the agent's configuration: unless `Any`, a local endpoint
   * asking for spoofing exemptions is invalid (as in Felix). Default `Disabled`.
   */
  workloadSourceSpoofing?: WorkloadSourceSpoofing;
}

/** Counters for health and metrics. */
export interface CalcGraphStats extends ValidationStats {
  /** Policies that match at least one local endpoint. */
  activePolicies: number;
  /** Endpoints and network sets with addresses, cluster-wide. */
  addressedItems: number;
}

/** The calculation graph: datastore state in, dataplane messages out. */
export class CalcGraph {
  readonly #filter: ValidationFilter;
  readonly #config: ConfigBatcher;
  readonly #resolver: PolicyResolver;
  readonly #rules: ActiveRulesCalculator;
  readonly #members: IPSetMemberIndex;
  readonly #labels: LabelInheritanceIndex;
  readonly #tunnels: TunnelRouteResolver;
  readonly #sequencer: EventSequencer;

  constructor(options: CalcGraphOptions) {
    const hostname = options.hostname;
    // Outputs first: every node below reports to the sequencer, which orders by dependency.
    const sequencer = new EventSequencer();
    this.#sequencer = sequencer;

    //  RuleScanner ──(IP set activations)──▶ IPSetMemberIndex ──▶ EventSequencer
    //       └──────────(policies, profiles)────────────────────────────▲
    const members = new IPSetMemberIndex(sequencer);
    const scanner = new RuleScanner(members, sequencer);
    //  ActiveRulesCalculator ──(active policies/profiles)──▶ RuleScanner
    //            └──(matches, endpoint data)──▶ PolicyResolver ──(endpoints with tiers)──▶ EventSequencer
    const resolver = new PolicyResolver(sequencer);
    // (The calculator also tells the member index which label keys policies use, a hint only.)
    const rules = new ActiveRulesCalculator(scanner, resolver, members);
    //  LabelInheritanceIndex ─┬─▶ IPSetMemberIndex              (every addressed item, all hosts)
    //                         └─▶ LocalEndpointFilter ─▶ ActiveRulesCalculator   (this host's)
    // The member index comes first so that sets a local endpoint's new policies activate are
    // computed with that endpoint already indexed.
    const labels = new LabelInheritanceIndex(hostname, [members, new LocalEndpointFilter(rules)]);
    const passthru = new DataplanePassthru(sequencer);
    const config = new ConfigBatcher(hostname, sequencer);
    const tunnels = new TunnelRouteResolver(hostname, sequencer);

    //  WatchEvent ─▶ ValidationFilter ─▶ Dispatcher ─┬─ WorkloadEndpoint, HostEndpoint,
    //                                                │  NetworkSet, GlobalNetworkSet ──▶ LabelInheritanceIndex
    //                                                │  (WorkloadEndpoint also ──▶ TunnelRouteResolver: every host's addresses)
    //                                                ├─ Profile ──▶ LabelInheritanceIndex (labels), ActiveRulesCalculator (rules)
    //                                                ├─ NetworkPolicy, GlobalNetworkPolicy ──▶ ActiveRulesCalculator
    //                                                ├─ Tier ──▶ PolicyResolver
    //                                                ├─ IPPool ──▶ DataplanePassthru, TunnelRouteResolver
    //                                                ├─ Node ──▶ DataplanePassthru, ConfigBatcher, TunnelRouteResolver
    //                                                └─ FelixConfiguration, ClusterInformation ──▶ ConfigBatcher
    const dispatcher = new Dispatcher();
    // Profile labels before profile rules: an endpoint's inherited labels are settled before
    // the profile's rules are (re)sent.
    labels.registerWith(dispatcher);
    rules.registerWith(dispatcher);
    resolver.registerWith(dispatcher);
    passthru.registerWith(dispatcher);
    config.registerWith(dispatcher);
    tunnels.registerWith(dispatcher);
    this.#filter = new ValidationFilter(hostname, options.workloadSourceSpoofing ?? 'Disabled', dispatcher);

    this.#config = config;
    this.#resolver = resolver;
    this.#rules = rules;
    this.#members = members;
    this.#labels = labels;
    this.#tunnels = tunnels;
  }

  /** Applies one datastore event (from `Store.watch`). Never throws on bad data. */
  onUpdate(event: WatchEvent): void {
    this.#filter.onEvent(event);
  }

  /** The datastore snapshot is complete: configuration is released and `in-sync` follows the next flush. */
  onInSync(): void {
    this.#config.onInSync();
    this.#sequencer.onInSync();
  }

  /** The dataplane changes since the last flush, in dependency order. */
  flush(): DataplaneMessage[] {
    // Endpoints' tiers are resolved lazily, once per flush.
    this.#resolver.flush();
    // Tunnel routes too: many Node or pool updates in one batch cost one pass over the routes.
    this.#tunnels.flush();
    return this.#sequencer.flush();
  }

  /** Current counters. */
  get stats(): CalcGraphStats {
    const { rejected, errors } = this.#filter.stats;
    return { rejected: rejected + this.#labels.rejected, errors, activePolicies: this.#rules.activePolicyCount, addressedItems: this.#members.itemCount };
  }
}
