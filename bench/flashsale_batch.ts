/**
 * `deno run -A bench/flashsale_batch.ts`: the hot-tier create rate of boxoffice against BOTH
 * ceilings of issue 18, in one run, on the same stores:
 * - boxoffice end to end (HTTP, JWT, Redis, MariaDB), driven by wrk (bench/wrk/
 *   flashsale_create.lua): 64 connections, each request the next buyer in turn with a fresh
 *   Idempotency-Key, for a fixed time on a tier too large to sell out in it;
 * - per-order SQL (baselines/flashsale_sql.ts): one create's transaction per order, straight to
 *   MariaDB, 64 concurrent buyers, the same pool size;
 * - batched SQL (baselines/flashsale_batch_sql.ts): the committer's statements, BENCH_SQL_BATCH
 *   (50) orders a transaction, BENCH_SQL_SENDERS (4) transactions in flight.
 * Orders/s of boxoffice count the orders in MySQL after the phase over the phase's length. Prints
 * one JSON document with the three rates, their ratios, create latency percentiles (wrk: every
 * request of the phase), and the batch-size histogram scraped from the server's /metrics.
 *
 * Environment: BENCH_SECONDS (8), BENCH_BUYERS (12000), BENCH_CONNECTIONS (64), BENCH_SQL_BATCH,
 * BENCH_SQL_SENDERS, any of ORDER_BATCH, ORDER_BATCH_MAX, ORDER_BATCH_WAIT_MS (passed to the
 * server), BENCH_ONLY_BOXOFFICE=1 (no ceilings: for comparing settings in alternate runs),
 * BENCH_SERVER_OUTPUT=1 (the server's last output lines on stderr). Exits non-zero when the
 * audit fails or oversell is found.
 */
import { Bench, insertTier, POOL_SIZE, runJsonProcess, say, tierState } from "./harness.ts";
import { round, type RouteStats } from "./stats.ts";

const env = (name: string, fallback: number) => Number(Deno.env.get(name) ?? fallback);
const seconds = env("BENCH_SECONDS", 8);
const buyersN = env("BENCH_BUYERS", 12_000);
const connections = env("BENCH_CONNECTIONS", 64);
const sqlBatch = env("BENCH_SQL_BATCH", 50);
const sqlSenders = env("BENCH_SQL_SENDERS", 4);
const limit = 10;
const stock = buyersN * limit;
const serverEnv: Record<string, string> = {};
for (const name of ["ORDER_BATCH", "ORDER_BATCH_MAX", "ORDER_BATCH_WAIT_MS"]) {
  const v = Deno.env.get(name);
  if (v !== undefined) serverEnv[name] = v;
}

interface WrkReport {
  requests: number;
  durationUs: number;
  errors: number;
  statuses: Record<string, number>;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
}

const b = new Bench("flashsale-batch");
let report: Record<string, unknown> = {};
try {
  await b.open(serverEnv);
  const sale = await b.sale({ stock, limit });
  say(`minting ${buyersN} buyers`);
  const buyers = await b.buyers(buyersN);
  const tokens = await Deno.makeTempFile({ prefix: "bo-bench-tokens-" });
  await Deno.writeTextFile(tokens, buyers.map((u) => u.token).join("\n") + "\n");
  // Warm: the session's Redis state, the pool, the JIT (a few orders, not counted).
  await runWrk(b.server.url, tokens, sale, 2, Math.min(connections, 8));
  const before = await tierState(b.databaseUrl, sale.ticketId);

  say(`boxoffice: wrk ${connections} connections, ${seconds} s`);
  const ours = await b.measure(
    b.server.pid,
    (r: WrkReport) => r.requests,
    () => runWrk(b.server.url, tokens, sale, seconds, connections),
  );
  const after = await tierState(b.databaseUrl, sale.ticketId);
  const oursOrders = after.ordered - before.ordered;
  const oursRate = oursOrders / (ours.result.durationUs / 1e6);
  const histogram = await batchHistogram(b.server.url);
  if (Deno.env.get("BENCH_SERVER_OUTPUT")) say(b.server.output.join("").slice(-4000));
  await Deno.remove(tokens);
  report = {
    scenario: "flashsale-batch",
    settings: {
      seconds,
      buyers: buyersN,
      limit,
      stock,
      connections,
      server: { DB_POOL_SIZE: POOL_SIZE, ...serverEnv },
    },
    boxoffice: {
      ordersPerSec: round(oursRate, 1),
      orders: oursOrders,
      requests: ours.result.requests,
      statuses: ours.result.statuses,
      transportErrors: ours.result.errors,
      createLatencyMs: ours.result.latencyMs,
      batchSizes: histogram,
      ...ours.counters,
    },
    oversell: Math.max(0, after.ordered - after.total),
  };

  // BENCH_ONLY_BOXOFFICE: comparing settings of boxoffice in alternate runs, no ceilings.
  if (!Deno.env.get("BENCH_ONLY_BOXOFFICE")) {
    const baseUrl = await b.baseDb();
    const userIds = buyers.map((u) => u.id);
    const sqlJob = async () => ({
      databaseUrl: baseUrl,
      poolSize: POOL_SIZE,
      durationMs: seconds * 1000,
      ...(await insertTier(baseUrl, { stock, limit, price: sale.price })),
      price: sale.price,
      userIds,
      perBuyer: limit,
      limit,
    });
    say("per-order SQL ceiling");
    const perOrder = await runJsonProcess<
      { elapsedMs: number; total: RouteStats; ordersPerSecond: number }
    >("bench/baselines/flashsale_sql.ts", { ...(await sqlJob()), concurrency: connections });
    say(`batched SQL ceiling (${sqlBatch} a transaction, ${sqlSenders} in flight)`);
    const batched = await runJsonProcess<
      { elapsedMs: number; total: RouteStats; batches: RouteStats; ordersPerSecond: number }
    >("bench/baselines/flashsale_batch_sql.ts", {
      ...(await sqlJob()),
      concurrency: sqlSenders,
      batchSize: sqlBatch,
    });
    const ratio = (a: number, c: number) => c > 0 ? round(a / c, 3) : null;
    report = {
      ...report,
      perOrderSql: {
        ordersPerSec: perOrder.ordersPerSecond,
        latencyMs: perOrder.total.latency,
        rejections: perOrder.total.rejections,
        errors: perOrder.total.errors,
      },
      batchedSql: {
        ordersPerSec: batched.ordersPerSecond,
        ordersPerTransaction: sqlBatch,
        inFlight: sqlSenders,
        transactionLatencyMs: batched.batches.latency,
        rejections: batched.batches.rejections,
        errors: batched.batches.errors,
      },
      ratios: {
        boxofficeOverPerOrderSql: ratio(oursRate, perOrder.ordersPerSecond),
        boxofficeOverBatchedSql: ratio(oursRate, batched.ordersPerSecond),
        batchedOverPerOrderSql: ratio(batched.ordersPerSecond, perOrder.ordersPerSecond),
      },
      targets: { boxofficeOverBatchedSql: 0.5, createP99Ms: 50 },
    };
  }
} finally {
  try {
    const audit = await b.close();
    report.audit = audit
      ? { ok: audit.ok, violations: audit.violations.slice(0, 5) }
      : { ok: false, error: "no audit" };
  } catch (e) {
    const cause = (e as { cause?: unknown })?.cause;
    report.audit = { ok: false, error: `${e}${cause ? ` (cause: ${cause})` : ""}`.slice(0, 2000) };
  }
  console.log(JSON.stringify(report, null, 2));
  const audit = report.audit as { ok: boolean };
  if (!audit.ok || Number(report.oversell ?? 0) > 0) Deno.exitCode = 1;
}

async function runWrk(
  url: string,
  tokens: string,
  sale: { showId: number; sessionId: number; ticketId: number },
  durationS: number,
  conns: number,
): Promise<WrkReport> {
  const threads = 2;
  const out = await new Deno.Command("wrk", {
    args: [
      `-t${threads}`,
      `-c${conns}`,
      `-d${durationS}s`,
      "--timeout",
      "10s",
      "-s",
      new URL("./wrk/flashsale_create.lua", import.meta.url).pathname,
      url,
    ],
    env: {
      BENCH_TOKENS: tokens,
      BENCH_RUN: crypto.randomUUID().slice(0, 8),
      BENCH_THREADS: String(threads),
      BENCH_BODY: JSON.stringify({
        showId: sale.showId,
        sessionId: sale.sessionId,
        ticketId: sale.ticketId,
        quantity: 1,
      }),
    },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  const line = text.split("\n").find((l) => l.startsWith("{"));
  if (!out.success || !line) {
    throw new Error(`wrk failed: ${text}\n${new TextDecoder().decode(out.stderr)}`);
  }
  return JSON.parse(line) as WrkReport;
}

/** boxoffice_order_batch_size from the server: transactions per bucket (not cumulative). */
async function batchHistogram(url: string) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const buckets: [string, number][] = [];
  let sum = 0, count = 0;
  for (const line of text.split("\n")) {
    const m = /^boxoffice_order_batch_size_bucket\{le="([^"]+)"\} (\d+)/.exec(line);
    if (m) buckets.push([m[1], Number(m[2])]);
    const s = /^boxoffice_order_batch_size_sum (\S+)/.exec(line);
    if (s) sum = Number(s[1]);
    const c = /^boxoffice_order_batch_size_count (\S+)/.exec(line);
    if (c) count = Number(c[1]);
  }
  const perBucket: Record<string, number> = {};
  let prev = 0;
  for (const [le, n] of buckets) {
    perBucket[`<=${le}`] = n - prev;
    prev = n;
  }
  return { transactions: count, orders: sum, mean: count ? round(sum / count, 1) : 0, perBucket };
}
