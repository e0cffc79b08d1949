export type Row = [section: string, figure: string, value: string, goal: string, result: string];

/** A plain-text table; long cells wrap inside their column so it stays readable in a CI log. */
export function printTable(header: Row, rows: Row[], maxWidths = [22, 46, 70, 16, 11]): void {
  const wrap = (text: string, width: number): string[] => {
    const out: string[] = [];
    let line = '';
    for (const word of text.split(' ')) {
      if (line && line.length + 1 + word.length > width) {
        out.push(line);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    out.push(line);
    return out;
  };
  const widths = header.map((h, i) => Math.min(maxWidths[i] ?? 40, Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length))));
  const line = (cells: readonly string[]) => {
    const wrapped = cells.map((c, i) => wrap(c, widths[i] as number));
    const height = Math.max(...wrapped.map((w) => w.length));
    for (let k = 0; k < height; k++) console.log(`| ${wrapped.map((w, i) => (w[k] ?? '').padEnd(widths[i] as number)).join(' | ')} |`);
  };
  const rule = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
  line(header);
  console.log(rule);
  let previous = '';
  for (const r of rows) {
    if (previous && r[0] !== previous) console.log(rule);
    previous = r[0];
    line(r);
  }
}
