/**
 * The graph's entry (Felix's `ValidationFilter`): turns datastore watch events into updates and
 * makes every invalid resource an absent one, so no node ever sees bad data. WorkloadEndpoints,
 * the bulk of the input, get targeted checks (`workload-endpoint-check.ts`) plus the full
 * validation when they are on this host; policies are only checked for shape, because their
 * rules are read field by field and fail closed downstream (`rule-converter.ts`): dropping a
 * whole policy for one bad field would silently remove its Deny rules.
 * @module
 */
import { validateResource, type Resource } from '@percale/api';
import type { WatchEvent } from '@percale/datastore';
import type { Dispatcher } from './dispatcher.ts';
import type { Update } from './update.ts';
import { workloadEndpointProblem } from './workload-endpoint-check.ts';

/** How `validateResource` words a member the schema does not know. */
const UNKNOWN_FIELD = 'field in document is not recognized';

/** Counts of what the filter has seen, for metrics and tests. */
export interface ValidationStats {
  /** Resources treated as absent because they are invalid. */
  rejected: number;
  /** Watch events carrying a datastore error (nothing to apply). */
  errors: number;
}

/** How `allowSpoofedSourcePrefixes` is treated (FelixConfiguration `workloadSourceSpoofing`). */
export type WorkloadSourceSpoofing = 'Disabled' | 'Any';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The validation filter node. */
export class ValidationFilter {
  readonly #hostname: string;
  readonly #spoofing: WorkloadSourceSpoofing;
  readonly #dispatcher: Dispatcher;
  /** What the filter rejected; read-only for callers. */
  readonly stats: ValidationStats = { rejected: 0, errors: 0 };

  constructor(hostname: string, spoofing: WorkloadSourceSpoofing, dispatcher: Dispatcher) {
    this.#hostname = hostname;
    this.#spoofing = spoofing;
    this.#dispatcher = dispatcher;
  }

  /** Applies one watch event. */
  onEvent(event: WatchEvent): void {
    if (event.type === 'ERROR') {
      this.stats.errors++;
      return;
    }
    if (event.type === 'DELETED') {
      const { kind, namespace = '', name } = event.key;
      if (!this.#dispatcher.handles(kind)) return;
      this.#dispatcher.dispatch({ kind, name, namespace, key: namespace ? `${namespace}/${name}` : name, resource: undefined });
      return;
    }
    const resource = event.resource;
    if (!isObject(resource) || typeof resource.kind !== 'string' || !this.#dispatcher.handles(resource.kind)) return;
    const meta: unknown = resource.metadata;
    if (!isObject(meta) || typeof meta.name !== 'string' || meta.name === '') {
      this.stats.rejected++;
      return;
    }
    const namespace = typeof meta.namespace === 'string' ? meta.namespace : '';
    const valid = this.#valid(resource);
    if (!valid) this.stats.rejected++;
    const update: Update = {
      kind: resource.kind,
      name: meta.name,
      namespace,
      key: namespace ? `${namespace}/${meta.name}` : meta.name,
      resource: valid ? resource : undefined,
    };
    this.#dispatcher.dispatch(update);
  }

  #valid(resource: Resource): boolean {
    switch (resource.kind) {
      case 'WorkloadEndpoint': {
        if (!resource.metadata.namespace || workloadEndpointProblem(resource) !== undefined) return false;
        const spec = resource.spec as Record<string, unknown>;
        if (spec.node !== this.#hostname) return true;
        // Everything of a local endpoint reaches the dataplane: validate it fully. Felix also
        // refuses spoofing exemptions this host has not enabled.
        const spoofing = spec.allowSpoofedSourcePrefixes;
        if (Array.isArray(spoofing) && spoofing.length > 0 && this.#spoofing !== 'Any') return false;
        // Felix decodes into Go structs, which ignore members they do not know, such as the
        // `allowedIps` networking-calico writes on every endpoint: only real errors count.
        return validateResource(resource).every((e) => e.reason.startsWith(UNKNOWN_FIELD));
      }
      case 'NetworkPolicy':
        return !!resource.metadata.namespace;
      case 'GlobalNetworkPolicy':
        return true;
      default:
        return validateResource(resource).length === 0;
    }
  }
}
