/**
 * Felix's `ConfigBatcher`: merges the datastore's configuration sources for this host into
 * Felix parameters (agent-dataplane §2.1, rows 4–6): FelixConfiguration `node.<hostname>` over
 * the oldest FelixConfiguration whose `nodeSelector` matches this host's Node labels, over
 * FelixConfiguration `default` and ClusterInformation `default`. The environment, config file
 * and built-in defaults are the agent's config loader's to merge on top. Nothing is sent before
 * the snapshot is complete; after that, every change in the merged result is sent.
 * @module
 */
import { tryParseSelector, type Labels, type Selector } from '@percale/api';
import type { Dispatcher } from './dispatcher.ts';
import { clusterInformationParams, felixConfigParams } from './felix-config-params.ts';
import type { Update } from './update.ts';

/** Receives the merged configuration: the event sequencer. */
export interface ConfigListener {
  onConfigUpdate(config: Record<string, string>): void;
}

interface SelectorScoped {
  readonly selector: Selector | undefined;
  readonly params: Record<string, string>;
  readonly created: string;
}

type Params = Record<string, string>;

/** The config batcher node. */
export class ConfigBatcher {
  readonly #hostname: string;
  readonly #out: ConfigListener;
  #global: Params = {};
  #cluster: Params = {};
  #host: Params = {};
  readonly #scoped = new Map<string, SelectorScoped>();
  #nodeLabels: Labels | undefined;
  #inSync = false;
  #sent: string | undefined;

  constructor(hostname: string, out: ConfigListener) {
    this.#hostname = hostname;
    this.#out = out;
  }

  /** Takes FelixConfiguration, ClusterInformation and Nodes (for this host's labels). */
  registerWith(dispatcher: Dispatcher): void {
    dispatcher.register('FelixConfiguration', (u) => this.onFelixConfigurationUpdate(u));
    dispatcher.register('ClusterInformation', (u) => this.onClusterInformationUpdate(u));
    dispatcher.register('Node', (u) => this.onNodeUpdate(u));
  }

  /** The snapshot is complete: the configuration may now be sent. */
  onInSync(): void {
    this.#inSync = true;
    this.#maybeSend();
  }

  onFelixConfigurationUpdate(update: Update): void {
    const r = update.resource;
    const name = update.name;
    if (name === 'default') this.#global = r ? felixConfigParams(r) : {};
    else if (name === `node.${this.#hostname}`) this.#host = r ? felixConfigParams(r) : {};
    else if (name.startsWith('node.')) return;
    else if (r === undefined) this.#scoped.delete(name);
    else {
      const text = (r.spec as { nodeSelector?: unknown } | undefined)?.nodeSelector;
      // Felix skips a selector-scoped configuration without a selector, or one it cannot parse.
      const selector = typeof text === 'string' && text !== '' ? tryParseSelector(text) : undefined;
      this.#scoped.set(name, { selector, params: felixConfigParams(r), created: r.metadata.creationTimestamp ?? '' });
    }
    this.#maybeSend();
  }

  onClusterInformationUpdate(update: Update): void {
    if (update.name !== 'default') return;
    this.#cluster = update.resource ? clusterInformationParams(update.resource) : {};
    this.#maybeSend();
  }

  onNodeUpdate(update: Update): void {
    if (update.name !== this.#hostname) return;
    this.#nodeLabels = update.resource ? (update.resource.metadata.labels ?? {}) : undefined;
    this.#maybeSend();
  }

  // The oldest matching selector-scoped configuration (ties by name), as Felix picks it.
  #scopedParams(): Params {
    const labels = this.#nodeLabels;
    if (labels === undefined) return {};
    let best: [string, SelectorScoped] | undefined;
    for (const entry of this.#scoped) {
      const [name, s] = entry;
      if (s.selector === undefined || !s.selector.matches(labels)) continue;
      // RFC 3339 timestamps in UTC order as text.
      if (best === undefined || s.created < best[1].created || (s.created === best[1].created && name < best[0])) best = entry;
    }
    return best?.[1].params ?? {};
  }

  #maybeSend(): void {
    if (!this.#inSync) return;
    const merged: Params = { ...this.#cluster, ...this.#global, ...this.#scopedParams(), ...this.#host };
    const sorted: Params = {};
    for (const key of Object.keys(merged).sort()) sorted[key] = merged[key]!;
    const text = JSON.stringify(sorted);
    if (text === this.#sent) return;
    this.#sent = text;
    this.#out.onConfigUpdate(sorted);
  }
}
