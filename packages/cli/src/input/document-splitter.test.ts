import assert from 'node:assert/strict';
import { test } from 'node:test';
import { splitDocuments } from './document-splitter.ts';

const cases: [string, string, { text: string; startLine: number }[]][] = [
  ['one document', 'a: 1\n', [{ text: 'a: 1\n', startLine: 1 }]],
  ['separator line between documents', 'a: 1\n---\nb: 2\n', [{ text: 'a: 1', startLine: 1 }, { text: 'b: 2\n', startLine: 3 }]],
  ['leading --- stays with the first document', '---\na: 1\n', [{ text: '---\na: 1\n', startLine: 1 }]],
  ['rest of the separator line is dropped', 'a: 1\n--- # next\nb: 2', [{ text: 'a: 1', startLine: 1 }, { text: 'b: 2', startLine: 3 }]],
  ['trailing separator adds nothing', 'a: 1\n---\n', [{ text: 'a: 1', startLine: 1 }]],
  ['trailing separator without newline', 'a: 1\n---', [{ text: 'a: 1', startLine: 1 }]],
  ['empty documents are kept for numbering', 'a: 1\n---\n\n---\nb: 2\n', [{ text: 'a: 1', startLine: 1 }, { text: '', startLine: 3 }, { text: 'b: 2\n', startLine: 5 }]],
  ['two separator lines in a row leave a document-start marker', 'a: 1\n---\n---\nb: 2\n', [{ text: 'a: 1', startLine: 1 }, { text: '---\nb: 2\n', startLine: 3 }]],
  ['---- also separates (calicoctl matches the prefix)', 'a: 1\n----\nb: 2', [{ text: 'a: 1', startLine: 1 }, { text: 'b: 2', startLine: 3 }]],
  ['multi-line documents count lines', 'a: 1\nb: 2\n---\nc: 3\n', [{ text: 'a: 1\nb: 2', startLine: 1 }, { text: 'c: 3\n', startLine: 4 }]],
  ['empty input', '', []],
];

for (const [name, input, expected] of cases) {
  test(`splitDocuments() ${name}`, () => {
    assert.deepEqual(
      splitDocuments(input).map((d) => ({ text: d.text, startLine: d.startLine })),
      expected,
    );
  });
}

test('splitDocuments() numbers documents from 1', () => {
  assert.deepEqual(splitDocuments('a\n---\nb\n---\nc').map((d) => d.index), [1, 2, 3]);
});
