/**
 * The metadata checks every kind gets (Calico's ObjectMeta validator): the resource name, labels
 * and annotations, plus the kind's own stricter name rule when it has one.
 * @module
 */
import type { ObjectMeta } from '../resources/types.ts';
import type { Issue } from '../schema/types.ts';
import { checkAnnotations, checkLabels } from './labels.ts';
import { resourceNameProblems } from './names.ts';

/**
 * Checks `metadata`. The kind's name rule runs only when the common rule passes, so one bad
 * name yields one message.
 */
export function checkObjectMeta(meta: ObjectMeta, nameRule: ((name: string) => readonly string[]) | undefined, issues: Issue[]): void {
  const name = meta.name ?? '';
  const problems = resourceNameProblems(name);
  for (const reason of problems.length ? problems : (nameRule?.(name) ?? [])) {
    issues.push({ path: ['metadata', 'name'], value: name, reason });
  }
  if (meta.labels) checkLabels(meta.labels, ['metadata', 'labels'], issues);
  if (meta.annotations) checkAnnotations(meta.annotations, ['metadata', 'annotations'], issues);
}
