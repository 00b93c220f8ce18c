/**
 * `deno task test:faults`: the fault drills of tests/faults/ at full size, then one summary
 * table (drill, requests, successes, rejections, 5xx, invariant checks passed, violations).
 *
 * Each drill starts its own mariadbd and redis-server on free loopback ports (it kills and
 * restarts them), so this needs the MariaDB and Redis binaries but no running stores, and it
 * never touches anyone else's. Arguments after `--` go to `deno test`
 * (`deno task test:faults -- --filter "drill 3"`). FAULTS_SEED replays drill 5's stream.
 */
import { runWithSummary, summaryTable } from "./summary_runs.ts";
const DRILLS = [
  "1 Redis wiped mid-sale",
  "2 MariaDB down 10 s",
  "3 service SIGKILLed",
  "4 duplicates and replays",
  "5 bad input at volume",
  "6 security",
  "7 SIGKILL, batches in flight",
];

interface Row {
  drill: string;
  requests: number;
  successes: number;
  rejections: number;
  serverErrors: number;
  noReply: number;
  checksPassed: number;
  violations: number;
  seconds: number;
}

const { code, lines: rows } = await runWithSummary<Row>(
  "tests/faults/",
  { FAULTS_FULL: "1" },
  "FAULTS_SUMMARY",
);

const header = [
  "drill",
  "requests",
  "successes",
  "rejections",
  "5xx",
  "no reply",
  "invariant checks passed",
  "violations",
  "seconds",
];
const table: string[][] = [];
const filter = Deno.args.includes("--filter");
for (const name of DRILLS) {
  const r = rows.find((x) => x.drill === name);
  if (!r) {
    if (!filter) table.push([name, "—", "—", "—", "—", "—", "—", "FAILED", "—"]);
    continue;
  }
  table.push([
    r.drill,
    String(r.requests),
    String(r.successes),
    String(r.rejections),
    String(r.serverErrors),
    String(r.noReply),
    String(r.checksPassed),
    String(r.violations),
    String(r.seconds),
  ]);
}
const sum = (f: (r: Row) => number) => String(rows.reduce((n, r) => n + f(r), 0));
table.push([
  "total",
  sum((r) => r.requests),
  sum((r) => r.successes),
  sum((r) => r.rejections),
  sum((r) => r.serverErrors),
  sum((r) => r.noReply),
  sum((r) => r.checksPassed),
  code === 0 ? sum((r) => r.violations) : "see above",
  (Math.round(rows.reduce((n, r) => n + r.seconds, 0) * 10) / 10).toFixed(1),
]);
console.log("\nfault drills (FAULTS_FULL=1)\n");
console.log(summaryTable(header, table));
console.log(
  code === 0
    ? `\nall ${rows.length} drills passed: 0 violations`
    : "\na drill failed: see its error above",
);
Deno.exit(code);
