/**
 * Felix's data pass-through: IP pools (for NAT-outgoing and the pool IP sets) and every host's
 * addresses (from Node resources) go to the dataplane as they are, keyed by name.
 * @module
 */
import type { IPPoolInfo } from '../messages.ts';
import type { Dispatcher } from './dispatcher.ts';
import { networkAddressText, parseNetwork } from './net-text.ts';
import type { Update } from './update.ts';

/** Receives pools and hosts: the event sequencer. */
export interface PassthruListener {
  onIPPoolUpdate(id: string, pool: IPPoolInfo): void;
  onIPPoolRemove(id: string): void;
  onHostUpdate(hostname: string, ipv4Address: string | undefined, ipv6Address: string | undefined): void;
  onHostRemove(hostname: string): void;
}

type Spec = Record<string, unknown>;

function mode(value: unknown): string {
  return typeof value === 'string' && value !== '' ? value : 'Never';
}

// Node addresses are stored as CIDRs (`10.0.0.5/24`); the dataplane wants the address.
function address(value: unknown, version: 4 | 6): string | undefined {
  if (typeof value !== 'string') return undefined;
  const slash = value.indexOf('/');
  const net = parseNetwork(slash < 0 ? value : value.slice(0, slash));
  return net?.version === version ? networkAddressText(net.text) : undefined;
}

/** The pass-through node. */
export class DataplanePassthru {
  readonly #out: PassthruListener;

  constructor(out: PassthruListener) {
    this.#out = out;
  }

  /** Takes IPPools and Nodes. */
  registerWith(dispatcher: Dispatcher): void {
    dispatcher.register('IPPool', (u) => this.onPoolUpdate(u));
    dispatcher.register('Node', (u) => this.onNodeUpdate(u));
  }

  /** An IP pool changed. */
  onPoolUpdate(update: Update): void {
    const spec = update.resource?.spec as Spec | undefined;
    const cidr = typeof spec?.cidr === 'string' ? parseNetwork(spec.cidr) : undefined;
    if (spec === undefined || cidr === undefined) {
      this.#out.onIPPoolRemove(update.name);
      return;
    }
    this.#out.onIPPoolUpdate(update.name, {
      cidr: cidr.text,
      natOutgoing: spec.natOutgoing === true,
      disabled: spec.disabled === true,
      ipipMode: mode(spec.ipipMode),
      vxlanMode: mode(spec.vxlanMode),
      disableBGPExport: spec.disableBGPExport === true,
    });
  }

  /** A Node changed: its BGP addresses are the host's addresses. */
  onNodeUpdate(update: Update): void {
    if (update.resource === undefined) {
      this.#out.onHostRemove(update.name);
      return;
    }
    const bgp = (update.resource.spec as Spec | undefined)?.bgp as Spec | undefined;
    this.#out.onHostUpdate(update.name, address(bgp?.ipv4Address, 4), address(bgp?.ipv6Address, 6));
  }
}
