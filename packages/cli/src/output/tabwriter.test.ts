import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatTable } from './tabwriter.ts';

test('formatTable() pads every tab-terminated cell to the column width plus 3, minimum 5', () => {
  assert.equal(formatTable('NAME\tCIDR\t\nab\t10.0.0.0/16\t\n'), 'NAME   CIDR          \nab     10.0.0.0/16   \n');
  assert.equal(formatTable('A\tB\t\n'), 'A    B    \n');
});

test('formatTable() leaves the text after the last tab unpadded', () => {
  assert.equal(formatTable('a\tlast\nlonger\tx\n'), 'a        last\nlonger   x\n');
});

test('formatTable() sizes column blocks separately, as Go does', () => {
  // The second column exists only in lines 1-2, then again in line 4: two blocks.
  assert.equal(formatTable('a\tb\t\nccc\td\t\nx\ny\tzzzzzz\t\n'), 'a     b    \nccc   d    \nx\ny    zzzzzz   \n');
});

test('formatTable() counts characters, not bytes', () => {
  assert.equal(formatTable('é\tx\t\nab\ty\t\n'), 'é    x    \nab   y    \n');
});
