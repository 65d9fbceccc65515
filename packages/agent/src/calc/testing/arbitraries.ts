/**
 * fast-check generators shared by the calculation graph's property tests: label maps and
 * selector texts over small pools (so matches are frequent), covering every operator.
 * @module
 */
import fc from 'fast-check';

/** Label names, including security-group-shaped ones that share a long prefix. */
export const LABEL_NAMES = ['a', 'b', 'c', 'sg.projectcalico.org/openstack-x', 'sg.projectcalico.org/openstack-y', 'projectcalico.org/namespace'] as const;
/** Label values. */
export const LABEL_VALUES = ['', 'v', 'vw', 'w', 'x-y', 'openstack-region-one'] as const;

/** A label map. */
export const labelsArb: fc.Arbitrary<Record<string, string>> = fc.dictionary(fc.constantFrom(...LABEL_NAMES), fc.constantFrom(...LABEL_VALUES), { maxKeys: 5 });

const name = fc.constantFrom(...LABEL_NAMES);
const value = fc.constantFrom(...LABEL_VALUES);
const quoted = value.map((v) => `'${v}'`);

const { selector } = fc.letrec<{ selector: string }>((tie) => ({
  selector: fc.oneof(
    { depthSize: 'small' },
    fc.constant('all()'),
    name.map((n) => `has(${n})`),
    fc.tuple(name, fc.constantFrom('==', '!=', 'contains', 'starts with', 'ends with'), quoted).map(([n, op, v]) => `${n} ${op} ${v}`),
    fc.tuple(name, fc.constantFrom('in', 'not in'), fc.array(quoted, { maxLength: 3 })).map(([n, op, vs]) => `${n} ${op} {${vs.join(', ')}}`),
    tie('selector').map((s) => `!(${s})`),
    fc.tuple(tie('selector'), fc.constantFrom('&&', '||'), tie('selector')).map(([a, op, b]) => `(${a}) ${op} (${b})`),
  ),
}));

/** Selector text. */
export const selectorArb: fc.Arbitrary<string> = selector;
