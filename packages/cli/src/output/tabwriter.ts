/**
 * A clone of Go's `text/tabwriter` for the settings calicoctl uses for `get`
 * tables (minimum width 5, padding 3, space padding, left aligned). Scripts parse
 * these tables by column position, so the layout must match byte for byte.
 * @module
 */

export interface TabwriterOptions {
  /** Minimal cell width including padding. */
  readonly minWidth: number;
  /** Added to the widest cell of a column. */
  readonly padding: number;
}

/** calicoctl's `tabwriter.NewWriter(os.Stdout, 5, 1, 3, ' ', 0)`. */
export const CALICOCTL_TABLE: TabwriterOptions = { minWidth: 5, padding: 3 };

const runeCount = (s: string) => {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xdc00 || c > 0xdfff) n++;
  }
  return n;
};

/**
 * Aligns tab-separated text. Cells are terminated by `\t`; the text after a line's
 * last tab is not part of any column. A column block is a run of consecutive lines
 * that all have a cell in that column, and each block gets its own width, exactly
 * as Go computes it.
 */
export function formatTable(text: string, options: TabwriterOptions = CALICOCTL_TABLE): string {
  const lines = text.split('\n');
  const trailing = lines.pop() ?? '';
  const cells = lines.map((l) => l.split('\t'));
  const widths: number[][] = cells.map((c) => new Array<number>(Math.max(c.length - 1, 0)).fill(0));

  // Go's recursive format(): for column `col`, find each block of consecutive lines
  // that have a terminated cell there, size it, then recurse into the next column.
  const format = (line0: number, line1: number, col: number) => {
    let i = line0;
    while (i < line1) {
      if (col >= cells[i]!.length - 1) {
        i++;
        continue;
      }
      const start = i;
      let width = options.minWidth;
      for (; i < line1 && col < cells[i]!.length - 1; i++) {
        const w = runeCount(cells[i]![col]!) + options.padding;
        if (w > width) width = w;
      }
      for (let j = start; j < i; j++) widths[j]![col] = width;
      format(start, i, col + 1);
    }
  };
  format(0, cells.length, 0);

  let out = '';
  for (let i = 0; i < cells.length; i++) {
    const row = cells[i]!;
    for (let c = 0; c < row.length - 1; c++) {
      const cell = row[c]!;
      out += cell + ' '.repeat(widths[i]![c]! - runeCount(cell));
    }
    out += `${row[row.length - 1]}\n`;
  }
  return out + trailing;
}
