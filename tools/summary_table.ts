/**
 * The Markdown table the drill and cluster runners end with: the first column left-aligned, the
 * numbers right-aligned, every column as wide as its widest cell.
 */
export function summaryTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i])).join(" | ")} |`;
  const rule = `|${widths.map((w, i) => "-".repeat(w + 1) + (i ? ":" : "-")).join("|")}|`;
  return [line(header), rule, ...rows.map(line)].join("\n");
}
