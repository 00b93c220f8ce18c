/**
 * `deno task bench [scenario ...]`: measures boxoffice against a baseline in the same run, on
 * the same machine, with the same load generator (wrk, bench/wrk.ts), and prints one JSON
 * document per scenario (also written to bench/results/<scenario>.json).
 *
 * Every scenario also drives a bare Hono handler with canned replies (bench/baselines/bare.ts)
 * with the same wrk flow: `headroom.ratio` is how much faster wrk went there. Below 2 the
 * figures may be the generator's and the scenario is `valid: false` (not to be quoted). A
 * baseline or bare handler that answers anything but what it should (transport errors,
 * unexpected codes) makes the scenario invalid and the exit status non-zero, as does a failed
 * scenario or invariant audit. BENCH_QUICK=1 runs every scenario tiny (seconds), as the tests do.
 *
 * Scenarios: health, soldout, flashsale, seed-design, seats, mixed, layout (bench/README.md).
 * Environment: BENCH_DATABASE_URL / BENCH_REDIS_URL (default: the stores on their usual ports),
 * BENCH_RESULTS_DIR (default bench/results), BENCH_CPU_PROFILE_DIR (run the server of each
 * scenario under `--cpu-prof` into that folder), BENCH_ROUNDS (alternating rounds, default 2),
 * BENCH_BEFORE (another checkout of boxoffice: its server joins the rounds of health and soldout),
 * BENCH_FLASHSALE_CONNECTIONS (flashsale's buyers in flight, default 64; 200 is the batched-SQL
 * ceiling's own: 4 transactions of 50 orders).
 */
import { ACTIVE_STATUSES_SQL } from "#lib/orders/status.ts";
import type { AuditReport } from "#lib/ops/audit.ts";
import { nextOrderNo } from "#lib/orders/order_numbers.ts";
import {
  BARE_THREADS,
  Bench,
  EXTRA_SERVER_FLAGS,
  insertTier,
  orderBatchSizes,
  perSecond,
  POOL_SIZE,
  QUICK,
  runJsonProcess,
  say,
  tierState,
} from "./harness.ts";
import type { SqlJob } from "./baselines/flashsale_sql.ts";
import type { NoiseJob, NoiseReport } from "./machine_noise.ts";
import type { BatchSqlJob } from "./baselines/flashsale_batch_sql.ts";
import { round, type RouteStats } from "./stats.ts";
import { mergeReports, wrk, WRK_MISSING, wrkBinary, type WrkReport } from "./wrk.ts";

const resultsDir = Deno.env.get("BENCH_RESULTS_DIR") ??
  new URL("./results", import.meta.url).pathname;
const profileDir = Deno.env.get("BENCH_CPU_PROFILE_DIR");
const q = <T>(quick: T, full: T): T => QUICK ? quick : full;
const ROUNDS = q(1, Number(Deno.env.get("BENCH_ROUNDS") ?? 2));
/** Seconds of one measured round of a fixed-length phase. */
const ROUND_SECONDS = q(1, 5);
const HEADROOM_MIN = 2;
/**
 * Buyers in flight in flashsale (wrk connections; also the per-order SQL ceiling's concurrency).
 * A closed loop of N buyers cannot exceed N ÷ create latency, whatever the server: the batched
 * ceiling keeps 200 orders in flight, so at 64 boxoffice is compared with fewer orders in flight.
 */
const FLASHSALE_CONNECTIONS = Number(Deno.env.get("BENCH_FLASHSALE_CONNECTIONS") ?? 64);
if (!Number.isInteger(FLASHSALE_CONNECTIONS) || FLASHSALE_CONNECTIONS < 2) {
  throw new Error("BENCH_FLASHSALE_CONNECTIONS: a whole number of at least 2 (wrk's 2 threads)");
}

type Result = Record<string, unknown> & { audit?: AuditSummary };
interface AuditSummary {
  ok: boolean;
  checks: AuditReport["checks"];
  violations: AuditReport["violations"];
}

/** What one side of a comparison did, in the shape every scenario reports. */
function side(r: WrkReport, counters: Record<string, number>, route?: string) {
  const s: RouteStats = route ? r.routes[route] ?? r.total : r.total;
  return {
    requests: s.requests,
    successes: s.successes,
    rejections: s.rejections,
    errors: s.errors,
    socketErrors: r.socketErrors,
    elapsedMs: r.elapsedMs,
    reqPerSec: perSecond(s.requests, r.elapsedMs),
    successesPerSec: perSecond(s.successes, r.elapsedMs),
    latencyMs: s.latency,
    connections: r.connections,
    loadgenCores: r.loadgenCores,
    ...counters,
  };
}

const ratio = (a: number, b: number) => b > 0 ? round(a / b, 3) : null;
const machine = () => ({
  cores: navigator.hardwareConcurrency,
  cpu: /model name\s*:\s*(.*)/.exec(Deno.readTextFileSync("/proc/cpuinfo"))?.[1] ?? "unknown",
  deno: Deno.version.deno,
  loadAverage: Deno.loadavg(),
});
const serverFlags = (name: string) => [
  ...EXTRA_SERVER_FLAGS,
  ...(profileDir
    ? [`--cpu-prof`, `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${name}.cpuprofile`]
    : []),
];

/** Figures from earlier scenarios of this run (or, when run alone, of the last run). */
const earlier = new Map<string, Result>();
async function previous(name: string): Promise<Result | undefined> {
  if (earlier.has(name)) return earlier.get(name);
  try {
    return JSON.parse(await Deno.readTextFile(`${resultsDir}/${name}.json`));
  } catch {
    return undefined;
  }
}

// ------------------------------------------------------------------------------- verdicts

/** The replies a side may give: successes or not, and the refusal codes it may answer with. */
interface Expected {
  successes: boolean;
  codes: string[];
}

interface ReplyCheck {
  ok: boolean;
  expected: Expected;
  /** Replies outside `expected`: transport errors, successes, codes. */
  unexpected: Record<string, number>;
}

function checkReplies(r: { total: RouteStats }, expected: Expected): ReplyCheck {
  const unexpected: Record<string, number> = {};
  if (r.total.errors > 0) unexpected.errors = r.total.errors;
  if (!expected.successes && r.total.successes > 0) unexpected.successes = r.total.successes;
  for (const [code, n] of Object.entries(r.total.rejections)) {
    if (!expected.codes.includes(code)) unexpected[code] = n;
  }
  if (r.total.requests === 0) unexpected.noReplies = 1;
  return { ok: Object.keys(unexpected).length === 0, expected, unexpected };
}

function headroomOf(bare: WrkReport, boxofficeReqPerSec: number) {
  const bareReqPerSec = perSecond(bare.total.requests, bare.elapsedMs);
  const r = ratio(bareReqPerSec, boxofficeReqPerSec);
  return {
    what:
      `the same wrk flow against a bare Hono handler with canned replies, same run, ${BARE_THREADS} threads`,
    bareReqPerSec,
    boxofficeReqPerSec,
    ratio: r,
    required: HEADROOM_MIN,
    enough: (r ?? 0) >= HEADROOM_MIN,
    loadgenCores: bare.loadgenCores,
  };
}

/**
 * valid: the generator had headroom and every baseline answered as it should. Checks named
 * `baseline*` or `bare` that fail also fail the run (exit status).
 */
function verdict(
  headroom: { enough: boolean; ratio: number | null },
  checks: Record<string, ReplyCheck>,
) {
  const reasons: string[] = [];
  if (!headroom.enough) {
    reasons.push(`headroom ${headroom.ratio} < ${HEADROOM_MIN}: the generator may be the limit`);
  }
  for (const [name, c] of Object.entries(checks)) {
    if (!c.ok) reasons.push(`${name} replies unexpected: ${JSON.stringify(c.unexpected)}`);
  }
  const broken = Object.entries(checks).some(([name, c]) => name !== "boxoffice" && !c.ok);
  return { valid: reasons.length === 0, invalidReasons: reasons, replyChecks: checks, broken };
}

/** With BENCH_BEFORE: the other checkout's figures of the same run, as ratios. */
function beforeAfter(before: WrkReport | undefined, ours: number, baseline: number) {
  if (!before) return {};
  const rate = perSecond(before.total.requests, before.elapsedMs);
  return {
    before: {
      tree: Deno.env.get("BENCH_BEFORE"),
      reqPerSec: rate,
      overBaseline: ratio(rate, baseline),
      afterOverBefore: ratio(ours, rate),
      errors: before.total.errors,
    },
  };
}

const ok = (data: unknown) =>
  JSON.stringify({ code: 200, message: "success", data, success: true });

// ------------------------------------------------------------------------------- scenarios

async function soldout(b: Bench): Promise<Result> {
  await b.open({}, serverFlags("soldout"));
  const sale = await b.sale({ stock: 0, limit: 4 });
  const buyers = await b.buyers(q(50, 1000));
  const tokens = await b.file("tokens", buyers.map((u) => u.token).join("\n"));
  const body = JSON.stringify({
    showId: sale.showId,
    sessionId: sale.sessionId,
    ticketId: sale.ticketId,
    quantity: 1,
  });
  const connections = q(16, 64);
  const evalsha = await b.start("bench/baselines/soldout_bare.ts", {
    REDIS_URL: b.redisUrl,
    REDIS_PREFIX: b.prefix,
    SESSION_ID: String(sale.sessionId),
    TICKET_ID: String(sale.ticketId),
  });
  // The bare handler replays boxoffice's own reply to this request.
  const real = await b.raw("POST", "/api/order/create", body, buyers[0].token);
  const bare = await b.bare([{ method: "POST", path: "/api/order/create", ...real }]);
  const run = (url: string) => (seconds: number) =>
    wrk({
      url,
      flow: "create",
      params: { TOKENS: tokens, BODY: body, PER_BUYER: 0 },
      connections,
      seconds,
    });
  const { merged, sideOf, rounds } = await alternate(b, {
    boxoffice: { pid: b.server.pid, run: run(b.server.url) },
    ...(b.before ? { before: { pid: b.before.pid, run: run(b.before.url) } } : {}),
    evalsha: { pid: evalsha.pid, run: run(evalsha.url) },
    bare: { pid: bare.pid, run: run(bare.url) },
  });
  const o = sideOf("boxoffice");
  const bs = sideOf("evalsha");
  const headroom = headroomOf(merged.bare, o.reqPerSec);
  const soldOutOnly = { successes: false, codes: ["SOLD_OUT"] };
  return {
    boxoffice: o,
    baseline: { what: "bare Hono app, one EVALSHA of reserve.lua per request", ...bs },
    bare: sideOf("bare"),
    rounds: rounds.map((r) => ({
      ...r,
      ratio: ratio(r.boxoffice, r.evalsha),
      headroom: ratio(r.bare, r.boxoffice),
    })),
    ratios: { reqPerSec: ratio(o.reqPerSec, bs.reqPerSec) },
    ...beforeAfter(merged.before, o.reqPerSec, bs.reqPerSec),
    targets: { reqPerSec: 0.6 },
    met: { reqPerSec: (ratio(o.reqPerSec, bs.reqPerSec) ?? 0) >= 0.6 },
    headroom,
    ...verdict(headroom, {
      boxoffice: checkReplies(merged.boxoffice, soldOutOnly),
      baseline: checkReplies(merged.evalsha, soldOutOnly),
      bare: checkReplies(merged.bare, soldOutOnly),
    }),
    checks: {
      allSoldOut: o.successes === 0 &&
        (o.rejections as Record<string, number>).SOLD_OUT === o.requests,
    },
  };
}

/** Per-phase counters averaged over rounds (RSS: the peak). */
function meanCounters(list: Record<string, number>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(list[0] ?? {})) {
    const values = list.map((c) => c[k]);
    out[k] = k.endsWith("PeakMb")
      ? Math.max(...values)
      : k === "rowLockWaits"
      ? values.reduce((a, v) => a + v, 0)
      : round(values.reduce((a, v) => a + v, 0) / values.length, 3);
  }
  return out;
}

/** One measured round of a flow against a bare handler. */
async function bareRounds(
  b: Bench,
  bare: { pid: number; url: string },
  job: (url: string, seconds: number) => Promise<WrkReport>,
): Promise<WrkReport> {
  const m = await b.measure(bare.pid, (r) => r.total.requests, () => job(bare.url, ROUND_SECONDS));
  return m.result;
}

/** The batched-SQL ceiling (issue 18): orders a transaction, transactions in flight. */
const SQL_BATCH = 50;
const SQL_BATCHES_IN_FLIGHT = 4;

/** What a flash-sale ceiling (bench/baselines/flashsale_*sql.ts) prints. */
interface SqlReport {
  elapsedMs: number;
  /** Per order. */
  total: RouteStats;
  /** Per transaction (the batched ceiling only). */
  batches?: RouteStats;
  loadgenCores: number;
}

/**
 * One ceiling of `flashsale`: its program driven with `job` (a fresh tier of its own in the
 * baselines' database), with the stores' counters, and the tier's stock after it.
 */
async function sqlCeiling(b: Bench, script: string, job: SqlJob | BatchSqlJob) {
  const m = await b.measure(
    b.server.pid,
    (r: SqlReport) => r.total.requests,
    () => runJsonProcess<SqlReport>(script, job),
  );
  const r = m.result;
  const ordersPerSec = perSecond(r.total.successes, r.elapsedMs);
  return {
    report: r,
    ordersPerSec,
    figures: {
      requests: r.total.requests,
      successes: r.total.successes,
      rejections: r.total.rejections,
      errors: r.total.errors,
      elapsedMs: r.elapsedMs,
      ordersPerSec,
      latencyMs: r.total.latency,
      concurrency: job.concurrency,
      poolSize: job.poolSize,
      loadgenCores: r.loadgenCores,
      rowLockWaits: m.counters.rowLockWaits,
      rowLockMsPerRequest: m.counters.rowLockMsPerRequest,
      stockAfter: await tierState(job.databaseUrl, job.ticketId),
    },
  };
}

/**
 * The hot tier sold out by boxoffice, against both ceilings of the same run, on the same
 * stores, from the same buyers with the same stock and limit: per-order SQL (one create's
 * transaction an order) and batched SQL (group commit: the committer's statements, SQL_BATCH
 * orders and one stock UPDATE a transaction).
 */
async function flashsale(b: Bench): Promise<Result> {
  await b.open({}, serverFlags("flashsale"));
  const stock = q(200, 20_000);
  const perBuyer = 10;
  const sale = await b.sale({ stock, limit: 10 });
  const buyers = await b.buyers(stock / perBuyer);
  const tokens = await b.file("tokens", buyers.map((u) => u.token).join("\n"));
  const body = JSON.stringify({
    showId: sale.showId,
    sessionId: sale.sessionId,
    ticketId: sale.ticketId,
    quantity: 1,
  });
  const connections = q(16, FLASHSALE_CONNECTIONS);
  const params = {
    TOKENS: tokens,
    BODY: body,
    PER_BUYER: perBuyer,
    IDEMPOTENCY: 1,
    STOP_ON: "SOLD_OUT,LIMIT_EXCEEDED",
  };
  const bare = await b.bare([
    { method: "POST", path: "/api/order/create", status: 200, body: ok(nextOrderNo(Date.now())) },
  ]);
  const bareJob = (url: string, seconds: number) =>
    wrk({ url, flow: "create", params: { ...params, CYCLE: 1 }, connections, seconds });
  const bareRuns = [await bareRounds(b, bare, bareJob)];
  const ours = await b.measure(
    b.server.pid,
    (r) => r.total.requests,
    () => wrk({ url: b.server.url, flow: "create", params, connections, seconds: q(15, 120) }),
  );
  // The server has served nothing but this phase's creates: its histogram is the phase's.
  const batchSizes = await orderBatchSizes(b.server.url);
  if (ROUNDS > 1) bareRuns.push(await bareRounds(b, bare, bareJob));
  const after = await tierState(b.databaseUrl, sale.ticketId);
  const o = side(ours.result, { ...ours.counters });
  const rej = o.rejections as Record<string, number>;
  const otherFailures = o.requests - o.successes - (rej.SOLD_OUT ?? 0) - (rej.LIMIT_EXCEEDED ?? 0);
  const spurious = otherFailures + (after.remaining > 0 ? (rej.SOLD_OUT ?? 0) : 0);

  const baseUrl = await b.baseDb();
  const userIds = buyers.map((u) => u.id);
  const sqlJob = async (): Promise<SqlJob> => ({
    databaseUrl: baseUrl,
    poolSize: POOL_SIZE,
    concurrency: connections,
    durationMs: q(15_000, 120_000),
    ...(await insertTier(baseUrl, { stock, limit: 10, price: sale.price })),
    price: sale.price,
    userIds,
    perBuyer,
    limit: 10,
  });
  say("flashsale: per-order SQL ceiling");
  const perOrder = await sqlCeiling(b, "bench/baselines/flashsale_sql.ts", await sqlJob());
  say(
    `flashsale: batched SQL ceiling (${SQL_BATCH} a transaction, ${SQL_BATCHES_IN_FLIGHT} in flight)`,
  );
  const batched = await sqlCeiling(b, "bench/baselines/flashsale_batch_sql.ts", {
    ...(await sqlJob()),
    concurrency: SQL_BATCHES_IN_FLIGHT,
    batchSize: SQL_BATCH,
  });
  const transactions = batched.report.batches!;
  const oursRate = perSecond(o.successes, o.elapsedMs);
  const overPerOrder = ratio(oursRate, perOrder.ordersPerSec);
  const overBatched = ratio(oursRate, batched.ordersPerSec);
  const bareReport = mergeReports(bareRuns);
  const headroom = headroomOf(bareReport, o.reqPerSec);
  const sqlReplies = { successes: true, codes: ["SOLD_OUT"] };
  return {
    boxoffice: {
      ...o,
      ordersPerSec: oursRate,
      stockAfter: after,
      // ORDER_BATCH* of the bench's environment reach the server (settings compared in turn).
      orderBatchEnv: Object.fromEntries(
        ["ORDER_BATCH", "ORDER_BATCH_MAX", "ORDER_BATCH_WAIT_MS"]
          .filter((k) => Deno.env.get(k) !== undefined).map((k) => [k, Deno.env.get(k)]),
      ),
      ...ours.result.extra,
    },
    baseline: {
      what:
        "the same SQL transaction straight to MariaDB, one an order, same pool size and concurrency",
      ...perOrder.figures,
    },
    baselineBatched: {
      what: `group commit straight to MariaDB: the committer's statements, ${SQL_BATCH} orders ` +
        `and one stock UPDATE a transaction, ${SQL_BATCHES_IN_FLIGHT} transactions in flight, same pool size`,
      ...batched.figures,
      ordersPerTransaction: SQL_BATCH,
      transactions: transactions.requests,
      transactionLatencyMs: transactions.latency,
    },
    bare: side(bareReport, {}),
    ordersPerSec: {
      boxoffice: oursRate,
      perOrderSql: perOrder.ordersPerSec,
      batchedSql: batched.ordersPerSec,
    },
    createLatencyMs: o.latencyMs,
    batchSizes,
    ratios: {
      ordersPerSec: overPerOrder,
      ordersPerSecOverBatchedSql: overBatched,
      batchedSqlOverPerOrderSql: ratio(batched.ordersPerSec, perOrder.ordersPerSec),
    },
    targets: {
      ordersPerSec: 0.7,
      ordersPerSecOverBatchedSql: 0.5,
      oversell: 0,
      spuriousFailures: 0,
    },
    oversell: Math.max(0, after.ordered - after.total) + Math.max(0, -after.remaining),
    spuriousFailures: spurious,
    met: {
      ordersPerSec: (overPerOrder ?? 0) >= 0.7,
      ordersPerSecOverBatchedSql: (overBatched ?? 0) >= 0.5,
      oversell: after.ordered <= after.total && after.remaining >= 0,
      spuriousFailures: spurious === 0,
    },
    headroom,
    ...verdict(headroom, {
      boxoffice: checkReplies(ours.result, {
        successes: true,
        codes: ["SOLD_OUT", "LIMIT_EXCEEDED"],
      }),
      baseline: checkReplies(perOrder.report, sqlReplies),
      baselineBatched: checkReplies({ total: transactions }, sqlReplies),
      bare: checkReplies(bareReport, { successes: true, codes: [] }),
    }),
    maxCreateReqPerSec: o.reqPerSec,
  };
}

async function seedDesign(b: Bench): Promise<Result> {
  await b.open({}, serverFlags("seed-design"));
  const stock = 1_000_000;
  const sale = await b.sale({ stock, limit: 10 });
  const buyers = await b.buyers(q(30, 500));
  const tokens = await b.file("tokens", buyers.map((u) => u.token).join("\n"));
  const baseUrl = await b.baseDb();
  const tier = await insertTier(baseUrl, { stock, limit: 10, price: sale.price });
  const seed = await b.start("bench/baselines/seed_design.ts", {
    DATABASE_URL: baseUrl,
    JWT_SECRET: b.jwtSecret,
    DB_POOL_SIZE: String(POOL_SIZE),
  });
  const bare = await b.bare([
    { method: "POST", path: "/api/order/create", status: 200, body: ok(nextOrderNo(Date.now())) },
  ]);
  const connections = buyers.length; // every buyer at once, one connection each
  const job = (
    url: string,
    ticket: { showId: number; sessionId: number; ticketId: number },
    extra: Record<string, number> = {},
    seconds = q(3, 20),
  ) =>
    wrk({
      url,
      flow: "create",
      params: {
        TOKENS: tokens,
        BODY: JSON.stringify({
          showId: ticket.showId,
          sessionId: ticket.sessionId,
          ticketId: ticket.ticketId,
          quantity: 1,
        }),
        PER_BUYER: 10,
        IDEMPOTENCY: 1,
        STOP_ON: "LIMIT_EXCEEDED,SOLD_OUT",
        ...extra,
      },
      connections,
      seconds,
    });
  const ours = await b.measure(
    b.server.pid,
    (r) => r.total.requests,
    () => job(b.server.url, sale),
  );
  const base = await b.measure(seed.pid, (r) => r.total.requests, () => job(seed.url, tier));
  const bareReport = await bareRounds(b, bare, (url, s) => job(url, tier, { CYCLE: 1 }, s));
  const o = side(ours.result, { ...ours.counters });
  const bs = side(base.result, { ...base.counters });
  const after = await tierState(b.databaseUrl, sale.ticketId);
  const baseAfter = await tierState(baseUrl, tier.ticketId);
  // Stock is left over the whole time: every refusal is a failure while stock remained.
  const failures = (x: typeof o) => x.requests - x.successes;
  const headroom = headroomOf(bareReport, Math.max(o.reqPerSec, bs.reqPerSec));
  return {
    boxoffice: { ...o, failuresWhileStockRemained: failures(o), stockAfter: after },
    baseline: {
      what:
        "reference strategy: SELECT stock+version, UPDATE ... WHERE version = ?, 3 retries, no Redis",
      ...bs,
      failuresWhileStockRemained: failures(bs),
      stockAfter: baseAfter,
    },
    bare: side(bareReport, {}),
    ratios: { ordersPerSec: ratio(o.successesPerSec, bs.successesPerSec) },
    targets: { ordersPerSec: 3, spuriousFailures: 0 },
    met: {
      ordersPerSec: (ratio(o.successesPerSec, bs.successesPerSec) ?? 0) >= 3,
      spuriousFailures: failures(o) === 0,
    },
    headroom,
    ...verdict(headroom, {
      boxoffice: checkReplies(ours.result, { successes: true, codes: ["LIMIT_EXCEEDED"] }),
      baseline: checkReplies(base.result, { successes: true, codes: ["CONFLICT"] }),
      bare: checkReplies(bareReport, { successes: true, codes: [] }),
    }),
  };
}

/** A sale of a 1,000-seat area (100 when quick), the seats and layout scenarios' venue. */
async function stallsArea(b: Bench) {
  const sale = await b.sale({ stock: 0, limit: 10 });
  const [rows, cols] = q([10, 10], [25, 40]);
  const area = await b.api<{ id: number }>("POST", "/api/seat/areas", {
    showId: sale.showId,
    sessionId: sale.sessionId,
    ticketId: sale.ticketId,
    name: "Stalls",
    rows,
    cols,
    price: 280,
  });
  if (area.status === 404) return { skipped: "seat API not present" };
  if (area.status !== 200) throw new Error(`POST /api/seat/areas: ${area.status} ${area.message}`);
  return { sale, area, rows, cols };
}

async function seats(b: Bench): Promise<Result> {
  await b.open({}, serverFlags("seats"));
  const stalls = await stallsArea(b);
  if ("skipped" in stalls) return stalls;
  const { sale, area } = stalls;
  const layout = await b.ok<{ seats: { id: number }[] }>(
    "GET",
    `/api/seat/layout/${area.data.id}?sessionId=${sale.sessionId}`,
  );
  const seatIds = layout.seats.map((s) => s.id);
  const buyers = await b.buyers(q(60, 500));
  const params = {
    TOKENS: await b.file("tokens", buyers.map((u) => u.token).join("\n")),
    SEATS: await b.file("seats", seatIds.join(",")),
    SESSION_ID: sale.sessionId,
    PER_BUYER: 2,
  };
  const connections = q(8, 32);
  const ours = await b.measure(
    b.server.pid,
    (r) => r.total.requests,
    () => wrk({ url: b.server.url, flow: "seats", params, connections, seconds: q(5, 60) }),
  );
  const bare = await b.bare([
    {
      method: "POST",
      path: "/api/seat/lock",
      status: 200,
      body: ok({ seatIds: seatIds.slice(0, 3), expireTime: new Date().toISOString() }),
    },
    { method: "POST", path: "/api/order/create", status: 200, body: ok(nextOrderNo(Date.now())) },
  ]);
  const bareReport = await bareRounds(
    b,
    bare,
    (url, seconds) =>
      wrk({ url, flow: "seats", params: { ...params, CYCLE: 1 }, connections, seconds }),
  );
  const r = ours.result;
  const doubleSold = await b.ctx.db.rows<{ seat_id: number; n: number }>(
    `SELECT oi.seat_id, COUNT(*) AS n FROM order_items oi JOIN orders o ON o.id = oi.order_id
      WHERE o.status ${ACTIVE_STATUSES_SQL} AND oi.seat_id IS NOT NULL GROUP BY oi.seat_id HAVING COUNT(*) > 1`,
  );
  const holdsPerSec = perSecond(r.routes.hold?.successes ?? 0, r.elapsedMs);
  const ordersPerSec = perSecond(r.routes.create?.successes ?? 0, r.elapsedMs);
  const sold = await previous("soldout");
  const soldoutRate = (sold?.boxoffice as { reqPerSec?: number } | undefined)?.reqPerSec ?? null;
  const o = side(r, { ...ours.counters });
  const headroom = headroomOf(bareReport, o.reqPerSec);
  return {
    boxoffice: {
      ...o,
      routes: routesOf(r),
      holdsPerSec,
      seatedOrdersPerSec: ordersPerSec,
      seats: seatIds.length,
      ...r.extra,
    },
    baseline: { what: "boxoffice's own soldout req/s of this run", soldoutReqPerSec: soldoutRate },
    bare: side(bareReport, {}),
    ratios: {
      holdsPerSec: soldoutRate ? ratio(holdsPerSec, soldoutRate) : null,
      seatedOrdersPerSec: soldoutRate ? ratio(ordersPerSec, soldoutRate) : null,
    },
    doubleSoldSeats: doubleSold.length,
    met: { doubleSoldSeats: doubleSold.length === 0 },
    headroom,
    ...verdict(headroom, {
      boxoffice: checkReplies(r, { successes: true, codes: ["SEAT_UNAVAILABLE"] }),
      bare: checkReplies(bareReport, { successes: true, codes: [] }),
    }),
  };
}

function routesOf(r: WrkReport) {
  return Object.fromEntries(
    Object.entries(r.routes).map(([k, v]) => [k, {
      requests: v.requests,
      successes: v.successes,
      rejections: v.rejections,
      errors: v.errors,
      latencyMs: v.latency,
    }]),
  );
}

async function mixed(b: Bench): Promise<Result> {
  await b.open({}, serverFlags("mixed"));
  const sale = await b.sale({ stock: 1_000_000, limit: 10 });
  const seatTier = await b.tier(sale.showId, sale.sessionId, { stock: 0, limit: 10 });
  const area = await b.api<{ id: number }>("POST", "/api/seat/areas", {
    showId: sale.showId,
    sessionId: sale.sessionId,
    ticketId: seatTier,
    name: "Hall",
    rows: q(20, 100),
    cols: q(20, 100),
    price: 180,
  });
  const seated = area.status === 200;
  let seatIds: number[] = [];
  const layoutPath = seated ? `/api/seat/layout/${area.data.id}?sessionId=${sale.sessionId}` : "";
  if (seated) {
    const layout = await b.ok<{ seats: { id: number }[] }>("GET", layoutPath);
    seatIds = layout.seats.map((s) => s.id);
  }
  const flash = await previous("flashsale");
  const maxRate = Number(flash?.maxCreateReqPerSec ?? 0);
  const rate = QUICK ? 60 : Math.max(50, Math.round(maxRate / 2) || 300);
  const weights = seated
    ? { list: 40, detail: 30, layout: 10, hold: 10, create: 7, pay: 3 }
    : { list: 40, detail: 40, layout: 0, hold: 0, create: 7, pay: 3 };
  const buyers = await b.buyers(q(100, 3000));
  const seatsFile = seated ? await b.file("seats", seatIds.join(",")) : "";
  const job = async (url: string, tokens: string[], seconds: number, extra = {}) =>
    await wrk({
      url,
      flow: "mixed",
      params: {
        SHOW_ID: sale.showId,
        SESSION_ID: sale.sessionId,
        TICKET_ID: sale.ticketId,
        AREA_ID: seated ? area.data.id : "",
        WEIGHTS: Object.entries(weights).map(([k, w]) => `${k}:${w}`).join(","),
        RATE: rate,
        // Every request asks as the buyer's page and the mini-program do.
        ACCEPT_ENCODING: "gzip, deflate, br",
        TOKENS: await b.file("tokens", tokens.join("\n")),
        ...(seated ? { SEATS: seatsFile } : {}),
        ...extra,
      },
      connections: q(16, 64),
      seconds,
    });
  // The bare handler replays boxoffice's own replies to the reads (a layout is a large body).
  const canned = [
    {
      method: "GET",
      path: "/api/show/list",
      ...(await b.raw("GET", "/api/show/list?page=1&size=10")),
    },
    {
      method: "GET",
      path: "/api/show/detail/",
      ...(await b.raw("GET", `/api/show/detail/${sale.showId}`)),
    },
    ...(seated
      ? [{
        method: "GET",
        path: "/api/seat/layout/",
        ...(await b.raw("GET", layoutPath)),
        gzip: true,
      }]
      : []),
    {
      method: "POST",
      path: "/api/seat/lock",
      status: 200,
      body: ok({ seatIds: seatIds.slice(0, 2), expireTime: new Date().toISOString() }),
    },
    { method: "POST", path: "/api/order/create", status: 200, body: ok(nextOrderNo(Date.now())) },
    { method: "POST", path: "/api/order/pay", status: 200, body: ok(true) },
  ];
  const bare = await b.bare(canned);
  const bareTokens = buyers.slice(0, 100).map((u) => u.token);
  const bareRuns = [await bareRounds(b, bare, (url, s) => job(url, bareTokens, s, { RATE: 0 }))];
  // Warm-up (JIT, pools) with buyers of its own, not measured.
  const warmBuyers = QUICK ? [] : await b.buyers(300);
  if (!QUICK) await job(b.server.url, warmBuyers.map((u) => u.token), 3);
  // The machine's own noise, by a process that is not boxoffice: idle, then in the same seconds
  // as the measured phase (what a create's round trips cannot do better than).
  const seconds = q(2, 20);
  const noiseJob = (s: number): NoiseJob => ({
    databaseUrl: b.databaseUrl,
    redisUrl: b.redisUrl,
    seconds: s,
  });
  const noiseIdle = await runJsonProcess<NoiseReport>("bench/machine_noise.ts", noiseJob(q(1, 3)));
  const noiseUnderLoad = runJsonProcess<NoiseReport>("bench/machine_noise.ts", noiseJob(seconds));
  const ours = await b.measure(
    b.server.pid,
    (r) => r.total.requests,
    () => job(b.server.url, buyers.map((u) => u.token), seconds),
  );
  const machineNoise = {
    what: "a process beside boxoffice: a 5 ms timer's lag, a Redis PING, a MariaDB SELECT 1",
    idle: noiseIdle,
    underLoad: await noiseUnderLoad,
  };
  if (ROUNDS > 1) {
    bareRuns.push(await bareRounds(b, bare, (url, s) => job(url, bareTokens, s, { RATE: 0 })));
  }
  const bareReport = mergeReports(bareRuns);
  const r = ours.result;
  const p99 = Object.fromEntries(Object.entries(r.routes).map(([k, v]) => [k, v.latency.p99]));
  const createP99 = r.routes.create?.latency.p99 ?? null;
  const rss = ours.counters.serverRssPeakMb;
  const o = side(r, { ...ours.counters });
  const headroom = headroomOf(bareReport, o.reqPerSec);
  return {
    boxoffice: { ...o, targetRate: rate, routes: routesOf(r), ...r.extra },
    baseline: {
      what: "half the boxoffice flashsale create rate of this run",
      flashsaleMaxCreateReqPerSec: maxRate || null,
    },
    bare: side(bareReport, {}),
    weights,
    seats: seated ? "present" : "seat API not present: layout and hold left out of the mix",
    p99ByRouteMs: p99,
    machineNoise,
    ratios: {
      achievedRateOverTarget: ratio(perSecond(r.total.requests, r.elapsedMs), rate),
      createP99OverTarget: createP99 === null ? null : ratio(createP99, 25),
      rssOverTarget: ratio(rss, 150),
    },
    targets: { createP99Ms: 25, serverRssPeakMb: 150 },
    met: { createP99Ms: createP99 !== null && createP99 <= 25, serverRssPeakMb: rss <= 150 },
    headroom,
    ...verdict(headroom, {
      boxoffice: checkReplies(r, {
        successes: true,
        codes: ["SEAT_UNAVAILABLE", "LIMIT_EXCEEDED"],
      }),
      bare: checkReplies(bareReport, { successes: true, codes: [] }),
    }),
  };
}

/**
 * Runs fixed-length wrk phases of several sides in turn, `ROUNDS` times (A/B/A/B: the noise of
 * the machine falls on every side alike), after a warm-up of each (full runs only).
 */
async function alternate(
  b: Bench,
  sides: Record<string, { pid: number; run: (seconds: number) => Promise<WrkReport> }>,
) {
  if (!QUICK) { for (const s of Object.values(sides)) await s.run(2); }
  const reports: Record<string, WrkReport[]> = {};
  const counters: Record<string, Record<string, number>[]> = {};
  const rounds: Record<string, number>[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const rates: Record<string, number> = {};
    for (const [name, s] of Object.entries(sides)) {
      const m = await b.measure(s.pid, (r) => r.total.requests, () => s.run(ROUND_SECONDS));
      (reports[name] ??= []).push(m.result);
      (counters[name] ??= []).push({ ...m.counters });
      rates[name] = perSecond(m.result.total.requests, m.result.elapsedMs);
    }
    rounds.push(rates);
  }
  const merged = Object.fromEntries(
    Object.entries(reports).map(([k, v]) => [k, mergeReports(v)]),
  );
  const sideOf = (name: string) => side(merged[name], meanCounters(counters[name]));
  return { merged, sideOf, rounds };
}

/**
 * The shared middleware: GET /api/health of boxoffice against a bare Hono handler on one thread
 * (as boxoffice runs); the headroom is wrk's rate against the bare handler on every core.
 */
async function health(b: Bench): Promise<Result> {
  await b.open({}, serverFlags("health"));
  const canned = [{ method: "GET", path: "/api/health", ...(await b.raw("GET", "/api/health")) }];
  const bare = await b.bare(canned, 1);
  const reach = await b.bare(canned);
  const get = (url: string) => (seconds: number) =>
    wrk({
      url,
      flow: "get",
      params: { GET_PATH: "/api/health", ROUTE: "health" },
      connections: q(16, 64),
      seconds,
    });
  const { merged, sideOf, rounds } = await alternate(b, {
    boxoffice: { pid: b.server.pid, run: get(b.server.url) },
    ...(b.before ? { before: { pid: b.before.pid, run: get(b.before.url) } } : {}),
    bare: { pid: bare.pid, run: get(bare.url) },
    reach: { pid: reach.pid, run: get(reach.url) },
  });
  const o = sideOf("boxoffice");
  const bs = sideOf("bare");
  const headroom = headroomOf(merged.reach, o.reqPerSec);
  const only200 = { successes: true, codes: [] };
  return {
    boxoffice: o,
    baseline: {
      what: "bare Hono app on one thread replaying boxoffice's /api/health reply",
      ...bs,
    },
    bare: sideOf("reach"),
    rounds: rounds.map((r) => ({ ...r, ratio: ratio(r.boxoffice, r.bare) })),
    ratios: { reqPerSec: ratio(o.reqPerSec, bs.reqPerSec) },
    ...beforeAfter(merged.before, o.reqPerSec, bs.reqPerSec),
    headroom,
    ...verdict(headroom, {
      boxoffice: checkReplies(merged.boxoffice, only200),
      baseline: checkReplies(merged.bare, only200),
      bare: checkReplies(merged.reach, only200),
    }),
  };
}

/** GET /api/seat/layout of a 1,000-seat area against GET /api/health of the same server. */
async function layout(b: Bench): Promise<Result> {
  await b.open({}, serverFlags("layout"));
  const stalls = await stallsArea(b);
  if ("skipped" in stalls) return stalls;
  const { sale, area, rows, cols } = stalls;
  const layoutPath = `/api/seat/layout/${area.data.id}?sessionId=${sale.sessionId}`;
  const bare = await b.bare([
    { method: "GET", path: "/api/seat/layout/", ...(await b.raw("GET", layoutPath)), gzip: true },
    { method: "GET", path: "/api/health", ...(await b.raw("GET", "/api/health")) },
  ]);
  // As a browser or a mini-program asks: a seat map is sent compressed to such a client.
  const headers = { "Accept-Encoding": "gzip, deflate, br" };
  const get = (url: string, path: string, route: string) => (seconds: number) =>
    wrk({
      url,
      flow: "get",
      params: { GET_PATH: path, ROUTE: route },
      connections: q(16, 64),
      seconds,
      headers,
    });
  const { merged, sideOf, rounds } = await alternate(b, {
    health: { pid: b.server.pid, run: get(b.server.url, "/api/health", "health") },
    layout: { pid: b.server.pid, run: get(b.server.url, layoutPath, "layout") },
    bareHealth: { pid: bare.pid, run: get(bare.url, "/api/health", "health") },
    bareLayout: { pid: bare.pid, run: get(bare.url, layoutPath, "layout") },
  });
  const h = sideOf("health");
  const l = sideOf("layout");
  const headroomHealth = headroomOf(merged.bareHealth, h.reqPerSec);
  const headroomLayout = headroomOf(merged.bareLayout, l.reqPerSec);
  // The rule is on the figure reported for boxoffice, the layout's rate (as in soldout, where the
  // EVALSHA baseline is not held to it); the health side's headroom is reported besides.
  const headroom = headroomLayout;
  const only200 = { successes: true, codes: [] };
  return {
    boxoffice: { ...l, seats: rows * cols, health: h },
    baseline: { what: "GET /api/health of the same server, same run", ...h },
    bare: { health: sideOf("bareHealth"), layout: sideOf("bareLayout") },
    rounds: rounds.map((r) => ({ ...r, ratio: ratio(r.layout, r.health) })),
    ratios: { layoutOverHealth: ratio(l.reqPerSec, h.reqPerSec) },
    targets: { layoutOverHealth: 0.4 },
    met: { layoutOverHealth: (ratio(l.reqPerSec, h.reqPerSec) ?? 0) >= 0.4 },
    headroom: { ...headroom, baselineHealth: headroomHealth.ratio },
    ...verdict(headroom, {
      boxoffice: checkReplies(mergeReports([merged.health, merged.layout]), only200),
      bare: checkReplies(mergeReports([merged.bareHealth, merged.bareLayout]), only200),
    }),
  };
}

const SCENARIOS: Record<string, (b: Bench) => Promise<Result>> = {
  health,
  soldout,
  flashsale,
  "seed-design": seedDesign,
  seats,
  mixed,
  layout,
};

// ------------------------------------------------------------------------------- main

const names = Deno.args.length ? Deno.args : Object.keys(SCENARIOS);
for (const n of names) {
  if (!SCENARIOS[n]) {
    console.error(`bench: unknown scenario ${n}; known: ${Object.keys(SCENARIOS).join(", ")}`);
    Deno.exit(2);
  }
}
if (!wrkBinary()) {
  console.error(`bench: ${WRK_MISSING}`);
  Deno.exit(3);
}
await Deno.mkdir(resultsDir, { recursive: true });
if (profileDir) await Deno.mkdir(profileDir, { recursive: true });
let failed = false;
const started = performance.now();
for (const name of names) {
  say(`${name}${QUICK ? " (quick)" : ""} ...`);
  const t0 = performance.now();
  const b = new Bench(name);
  let result: Result;
  try {
    result = await SCENARIOS[name](b);
    if (result.broken) {
      failed = true;
      say(`${name}: a baseline answered what it should not: ${result.invalidReasons}`);
    }
    delete result.broken;
  } catch (e) {
    failed = true;
    result = { error: e instanceof Error ? e.message : String(e) };
  }
  try {
    const report = await b.close();
    if (report && !result.skipped) {
      result.audit = {
        ok: report.ok,
        checks: report.checks,
        violations: report.violations.slice(0, 10),
      };
      if (!report.ok) failed = true;
    }
  } catch (e) {
    failed = true;
    result.audit = {
      ok: false,
      checks: [],
      violations: [{ check: "audit", detail: { error: String(e) } }],
    };
  }
  // What the server logged at level error (a 500 among thousands of replies says why here).
  const serverErrors = b.server?.errorLines ?? [];
  if (serverErrors.length) result.serverErrors = serverErrors;
  const doc = {
    scenario: name,
    date: new Date().toISOString(),
    quick: QUICK,
    machine: machine(),
    seconds: round((performance.now() - t0) / 1000, 1),
    ...result,
  };
  earlier.set(name, doc);
  console.log(JSON.stringify(doc, null, 2));
  await Deno.writeTextFile(`${resultsDir}/${name}.json`, JSON.stringify(doc, null, 2) + "\n");
}
const stores = await import("./harness.ts").then((h) => h.benchStores());
await stores.stop();
say(`done in ${round((performance.now() - started) / 1000, 1)} s${failed ? ": FAILED" : ""}`);
Deno.exit(failed ? 1 : 0);
