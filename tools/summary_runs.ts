/**
 * What the drill and cluster runners share: running a folder of tests at full size while each
 * test appends its summary row (one JSON object a line) to a temp file, and the table they end
 * with.
 */

/**
 * Runs `deno test` on `folder` (with the runner's own arguments after `--`) with `env` and
 * `summaryVar` naming a fresh temp file, and returns its exit code and the lines written there.
 */
export async function runWithSummary<T>(
  folder: string,
  env: Record<string, string>,
  summaryVar: string,
): Promise<{ code: number; lines: T[] }> {
  const testArgs = Deno.args.filter((a) => a !== "--");
  const summary = await Deno.makeTempFile({ prefix: "bo-summary-", suffix: ".jsonl" });
  try {
    const { code } = await new Deno.Command(Deno.execPath(), {
      args: ["test", "-A", "--unstable-cron", ...testArgs, folder],
      env: { ...env, [summaryVar]: summary },
    }).spawn().status;
    const text = await Deno.readTextFile(summary);
    return { code, lines: text.split("\n").filter(Boolean).map((l) => JSON.parse(l)) };
  } finally {
    await Deno.remove(summary).catch(() => {});
  }
}

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
