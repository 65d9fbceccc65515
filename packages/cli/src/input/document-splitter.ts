/**
 * Splits a calicoctl input stream into YAML/JSON documents the way calicoctl does:
 * at every `\n---` plus the rest of that line, not by YAML's own rules. A `---` on
 * the very first line is left in the document for the YAML parser.
 * @module
 */

/** calicoctl refuses documents larger than this (its scanner buffer). */
export const MAX_DOCUMENT_BYTES = 10 * 1024 * 1024;

/** One document of an input stream. */
export interface SourceDocument {
  /** 1-based position of the document in its stream. */
  readonly index: number;
  /** 1-based line of the stream on which the document's text starts. */
  readonly startLine: number;
  readonly text: string;
}

/** Raised when a document exceeds `MAX_DOCUMENT_BYTES`. */
export class DocumentTooLargeError extends Error {
  readonly code = 'CLI_DOCUMENT_TOO_LARGE';
  constructor(index: number) {
    super(`bufio.Scanner: token too long (document ${index} is larger than ${MAX_DOCUMENT_BYTES} bytes)`);
    this.name = 'DocumentTooLargeError';
  }
}

const SEPARATOR = '\n---';

function countNewlines(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = text.indexOf('\n', from); i >= 0 && i < to; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/**
 * Splits `text` into documents. Empty documents are kept (they decode to nothing),
 * so document numbers match what a user counts in the file.
 * @throws {DocumentTooLargeError}
 */
export function splitDocuments(text: string): SourceDocument[] {
  const docs: SourceDocument[] = [];
  let start = 0;
  let line = 1;
  while (start < text.length) {
    const sep = text.indexOf(SEPARATOR, start);
    // calicoctl's scanner drops a trailing separator line that has no newline; we
    // treat it as a separator instead of silently losing the last document.
    const end = sep < 0 ? text.length : sep;
    const lineEnd = sep < 0 ? -1 : text.indexOf('\n', sep + SEPARATOR.length);
    const next = sep < 0 ? text.length : lineEnd < 0 ? text.length : lineEnd + 1;
    const body = text.slice(start, end);
    if (body.length * 3 > MAX_DOCUMENT_BYTES && Buffer.byteLength(body) > MAX_DOCUMENT_BYTES) throw new DocumentTooLargeError(docs.length + 1);
    docs.push({ index: docs.length + 1, startLine: line, text: body });
    line += countNewlines(text, start, next);
    start = next;
  }
  return docs;
}
