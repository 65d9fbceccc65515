/**
 * Keeps docs/errors.md and the code in step: every error code declared in the
 * packages (`readonly code = 'AREA_WHAT'`) is documented, and the catalogue lists
 * no code the packages no longer have.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';

const root = join(import.meta.dirname, '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [path] : [];
  });
}

function declaredCodes(): Set<string> {
  const codes = new Set<string>();
  // Only the TypeScript packages declare codes (packages/neutron-driver is Python, without src/).
  for (const pkg of readdirSync(join(root, 'packages')).filter((p) => existsSync(join(root, 'packages', p, 'src')))) {
    for (const file of sourceFiles(join(root, 'packages', pkg, 'src'))) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/readonly code = '([A-Z][A-Z0-9_]+)'/g)) codes.add(m[1]!);
      // Union-typed code lists (`| 'DATASTORE_…'`) declare codes too.
      for (const m of text.matchAll(/^\s*\| '([A-Z]+_[A-Z0-9_]+)'/gm)) codes.add(m[1]!);
    }
  }
  return codes;
}

function documentedCodes(): Set<string> {
  const text = readFileSync(join(root, 'docs/errors.md'), 'utf8');
  return new Set([...text.matchAll(/^\| `([A-Z][A-Z0-9_]+)` \|/gm)].map((m) => m[1]!));
}

it('docs/errors.md documents exactly the error codes the packages declare', () => {
  const declared = declaredCodes();
  const documented = documentedCodes();
  assert.ok(declared.size > 0, 'no error codes found: the scan is broken');
  assert.deepEqual([...declared].filter((c) => !documented.has(c)).sort(), [], 'codes missing from docs/errors.md');
  assert.deepEqual([...documented].filter((c) => !declared.has(c)).sort(), [], 'docs/errors.md lists codes no package declares');
});
