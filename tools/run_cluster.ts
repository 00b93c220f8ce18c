/**
 * `deno task test:cluster`: tests/cluster/ (boxoffice as 3 instances on a Redis Cluster of 3
 * masters + 3 replicas and a MariaDB primary + replica, all started here on free loopback ports
 * and stopped at the end), then one summary table: phase, requests, successes, rejections, 503s
 * during the Redis failover, other 5xx, invariant checks passed, violations; and the slot spread.
 *
 * Needs redis-server, redis-cli, mariadbd and mariadb-install-db; no running stores, and it never
 * touches anyone else's. Not part of `deno task test` (it takes a few minutes). Arguments after
 * `--` go to `deno test`.
 */
import { runWithSummary, summaryTable } from "./summary_runs.ts";
const PHASES = [
  "slot spread",
  "flash sale, Redis master killed",
  "seat race",
  "hourly race",
  "duplicates and replays",
  "replica lag",
  "jobs, expiry, reconcile, audit",
];

interface Row {
  phase: string;
  requests: number;
  successes: number;
  rejections: number;
  unavailable: number;
  otherServerErrors: number;
  noReply: number;
  checksPassed: number;
  violations: number;
  seconds: number;
}
interface Extra {
  extra: string;
  value: Record<string, unknown>;
}

const { code, lines } = await runWithSummary<Row | Extra>(
  "tests/cluster/",
  { CLUSTER_FULL: "1" },
  "CLUSTER_SUMMARY",
);
const rows = lines.filter((l): l is Row => "phase" in l);
const extra = (name: string) => lines.find((l): l is Extra => "extra" in l && l.extra === name);

const header = [
  "phase",
  "requests",
  "successes",
  "rejections",
  "503 (failover)",
  "other 5xx",
  "no reply",
  "checks passed",
  "violations",
  "seconds",
];
const table: string[][] = [];
for (const name of PHASES) {
  const r = rows.find((x) => x.phase === name);
  if (!r) {
    table.push([name, "—", "—", "—", "—", "—", "—", "—", "FAILED", "—"]);
    continue;
  }
  table.push([
    r.phase,
    ...[r.requests, r.successes, r.rejections, r.unavailable, r.otherServerErrors, r.noReply]
      .map(String),
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
  sum((r) => r.unavailable),
  sum((r) => r.otherServerErrors),
  sum((r) => r.noReply),
  sum((r) => r.checksPassed),
  code === 0 ? sum((r) => r.violations) : "see above",
  (Math.round(rows.reduce((n, r) => n + r.seconds, 0) * 10) / 10).toFixed(1),
]);
console.log(
  "\nscale-out run: 3 instances, Redis Cluster 3 masters + 3 replicas, MariaDB + replica\n",
);
console.log(summaryTable(header, table));

const failover = extra("failover")?.value;
if (failover) {
  console.log(
    `\nfailover: master :${failover.killedPort} SIGKILLed; replica promoted after ` +
      `${failover.promotedAfterMs} ms; last 503 at +${failover.last503AfterMs} ms; ` +
      `${failover.unavailableDuringFailover} answers 503 + Retry-After meanwhile; ` +
      `${failover.successesAfterPromotion} orders after the promotion; ` +
      `${failover.conflictsSeen} retries told 409 CONFLICT; ${failover.reconcileRuns} reconcile runs`,
  );
}
const lag = extra("replica lag")?.value;
if (lag) {
  console.log(
    `replica lag: SQL thread stopped ${lag.pausedMs} ms, the replica ${lag.ordersBehind} orders ` +
      `behind; ${lag.readBack} buyers read their new order back at once on other instances`,
  );
}
const spread = extra("slot spread")?.value as
  | {
    masters: { port: number; slots: [number, number][] }[];
    sessions: { session: number; slot: number; master: number; keys: number }[];
  }
  | undefined;
if (spread) {
  console.log("\nslot spread (every key of a session in one slot; sessions over the masters):");
  for (const m of spread.masters) {
    const mine = spread.sessions.filter((s) => s.master === m.port);
    console.log(
      `  master :${m.port} slots ${m.slots.map(([a, b]) => `${a}-${b}`).join(",")}: ` +
        `sessions ${mine.map((s) => `${s.session}@${s.slot}`).join(" ") || "none"}`,
    );
  }
}
console.log(
  code === 0
    ? `\nall ${rows.length} phases passed: 0 violations`
    : "\na phase failed: see its error above",
);
Deno.exit(code);
