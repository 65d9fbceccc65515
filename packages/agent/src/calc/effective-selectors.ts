/**
 * Calico's effective selectors (policy-semantics §2.1 and §4.1), built as the same text Calico
 * builds so that rule selectors hash to Calico's IP set IDs: namespaced policies are scoped to
 * their namespace, `namespaceSelector`s become `pcns.` label selectors with `all()` and
 * `global()` rewritten, service-account matches become `pcsa.` selectors. Where Calico silently
 * drops a part it cannot parse (which widens what a policy selects), these functions report it
 * so that callers fail closed.
 * @module
 */
import { tryParseSelector, type Selector } from '@percale/api';

/** The label every namespaced endpoint and network set carries. */
export const NAMESPACE_LABEL = 'projectcalico.org/namespace';
/** The label a workload endpoint gets from `spec.serviceAccountName`. */
export const SERVICE_ACCOUNT_LABEL = 'projectcalico.org/serviceaccount';

const HAS_NAMESPACE = `has(${NAMESPACE_LABEL})`;
const NOT_HAS_NAMESPACE = `!has(${NAMESPACE_LABEL})`;

/** Canonical text of `text` with every label prefixed, or undefined when it does not parse. */
function prefixed(text: string, prefix: string): string | undefined {
  return tryParseSelector(text)?.prefixLabels(prefix).toString();
}

// Calico's prefixAndAppendSelector: `(<current>) && <prefixed new>`.
function appendPrefixed(current: string, added: string, prefix: string): string | undefined {
  const p = prefixed(added, prefix);
  if (p === undefined) return undefined;
  return current === '' ? p : `(${current}) && ${p}`;
}

function optionalString(value: unknown): string | undefined {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : undefined;
}

/**
 * The selector a NetworkPolicy in `namespace` applies through, or undefined when the policy's
 * selector or service-account selector cannot be read (the policy then applies nowhere).
 */
export function networkPolicySelector(namespace: string, selector: unknown, serviceAccountSelector: unknown): Selector | undefined {
  const s = optionalString(selector);
  const sa = optionalString(serviceAccountSelector);
  if (s === undefined || sa === undefined) return undefined;
  if (s !== '' && tryParseSelector(s) === undefined) return undefined;
  const ns = `${NAMESPACE_LABEL} == '${namespace}'`;
  let text: string | undefined = s === '' ? ns : `(${s}) && ${ns}`;
  if (sa !== '') text = appendPrefixed(text, sa, 'pcsa.');
  return text === undefined ? undefined : tryParseSelector(text);
}

/**
 * The selector a GlobalNetworkPolicy applies through: `namespaceSelector` appended as `pcns.`
 * labels with `all()` meaning "any namespaced endpoint" (the rewrite applies to the whole
 * text, as Calico's does), and likewise `serviceAccountSelector` with `pcsa.`. Undefined when a
 * part cannot be read.
 */
export function globalNetworkPolicySelector(selector: unknown, namespaceSelector: unknown, serviceAccountSelector: unknown): Selector | undefined {
  const s = optionalString(selector);
  const nsSel = optionalString(namespaceSelector);
  const sa = optionalString(serviceAccountSelector);
  if (s === undefined || nsSel === undefined || sa === undefined) return undefined;
  if (s !== '' && tryParseSelector(s) === undefined) return undefined;
  let text: string | undefined = s;
  if (nsSel !== '') {
    text = appendPrefixed(text, nsSel, 'pcns.');
    text = text?.replaceAll('all()', HAS_NAMESPACE);
  }
  if (sa !== '' && text !== undefined) {
    text = appendPrefixed(text, sa, 'pcsa.');
    text = text?.replaceAll('all()', `has(${SERVICE_ACCOUNT_LABEL})`);
  }
  return text === undefined ? undefined : tryParseSelector(text);
}

/** One side (`source`/`destination`) of a rule, reduced to selectors. */
export interface SideSelectors {
  /** Must match: the effective selector, with `notSelector` folded in when both exist. */
  readonly positive: Selector | undefined;
  /** Must not match: `notSelector` on its own (verbatim, not namespace-scoped), only without `positive`. */
  readonly negative: Selector | undefined;
  /** Selector fields that could not be read; they are left out of the result. */
  readonly unreadable: readonly string[];
}

// Calico's parseServiceAccounts: `pcsa.` selector and/or `serviceaccount in {names}`.
function serviceAccountSelector(value: unknown): string | undefined {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'object' || Array.isArray(value)) return undefined;
  const { names, selector } = value as { names?: unknown; selector?: unknown };
  const sel = optionalString(selector);
  if (sel === undefined) return undefined;
  let out = '';
  if (sel !== '') {
    const p = prefixed(sel, 'pcsa.');
    if (p === undefined) return undefined;
    out = p;
  }
  if (names === undefined || names === null || (Array.isArray(names) && names.length === 0)) return out;
  if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) return undefined;
  const set = tryParseSelector(`${SERVICE_ACCOUNT_LABEL} in { '${names.join("', '")}' }`)?.toString();
  if (set === undefined) return undefined;
  return out === '' ? set : `(${out}) && (${set})`;
}

/**
 * Reduces one side of a rule in a policy of `namespace` ('' for global policies and profiles)
 * to its selectors, as Calico's `GetEntityRuleSelector` and the rule scanner's
 * `combineMatchesIfPossible` do. Unreadable fields are reported and treated as absent, except
 * an unreadable `namespaceSelector`, which removes the namespace restriction altogether (the
 * widest reading: callers use this only where widening fails closed).
 */
export function ruleSideSelectors(side: Record<string, unknown>, namespace: string): SideSelectors {
  const unreadable: string[] = [];
  const read = (field: string, value: string | undefined, check = true): string => {
    if (value === undefined || (check && value !== '' && tryParseSelector(value) === undefined)) {
      unreadable.push(field);
      return '';
    }
    return value;
  };
  const rawNs = side.namespaceSelector;
  const nsText = read('namespaceSelector', optionalString(rawNs));
  const nsUnreadable = unreadable.length > 0;
  const selector = read('selector', optionalString(side.selector));
  const notSelector = read('notSelector', optionalString(side.notSelector));
  const sa = read('serviceAccounts', serviceAccountSelector(side.serviceAccounts), false);

  let nsSel = '';
  if (nsText !== '') {
    nsSel = prefixed(nsText, 'pcns.')!.replaceAll('all()', HAS_NAMESPACE).replaceAll('global()', NOT_HAS_NAMESPACE);
  } else if (namespace !== '' && !nsUnreadable) {
    nsSel = `${NAMESPACE_LABEL} == '${namespace}'`;
  }
  const parts = [sa, selector].filter((p) => p !== '');
  let sel = parts.length === 2 ? `(${parts[0]}) && (${parts[1]})` : (parts[0] ?? '');
  if (nsSel !== '' && (sel !== '' || notSelector !== '' || nsText !== '')) sel = sel === '' ? nsSel : `(${nsSel}) && (${sel})`;

  if (sel === '') return { positive: undefined, negative: notSelector === '' ? undefined : tryParseSelector(notSelector), unreadable };
  // With a positive selector the rule only ever matches known endpoints, so the negation can
  // narrow that one set instead of needing a set of its own.
  const positive = tryParseSelector(notSelector === '' ? sel : `(${sel}) && (!(${notSelector}))`);
  // Only a namespace that cannot appear in selector text gets here (every part parsed alone).
  if (positive === undefined) unreadable.push('selector');
  return { positive, negative: undefined, unreadable };
}
