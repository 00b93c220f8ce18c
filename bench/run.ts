/**
 * `deno task bench [scenario ...]`: measures boxoffice against a baseline in the same run, on
 * the same machine, with the same load generator, and prints one JSON document per scenario
 * (also written to bench/results/<scenario>.json). Exits non-zero when a scenario fails or its
 * invariant audit does. BENCH_QUICK=1 runs every scenario tiny (seconds), as the tests do.
 *
 * Scenarios: soldout, flashsale, seed-design, seats, mixed (see bench/README.md).
 * Environment: BENCH_DATABASE_URL / BENCH_REDIS_URL (default: the stores on their usual ports),
 * BENCH_RESULTS_DIR (default bench/results), BENCH_CPU_PROFILE_DIR (run the server of each
 * scenario under `--cpu-prof` into that folder).
 */
import { ACTIVE_STATUSES_SQL } from "#lib/orders/status.ts";
import type { AuditReport } from "#lib/ops/audit.ts";
import {
  Bench,
  insertTier,
  loadgen,
  perSecond,
  POOL_SIZE,
  QUICK,
  runJsonProcess,
  say,
  tierState,
} from "./harness.ts";
import type { LoadReport } from "./loadgen.ts";
import { round, type RouteStats } from "./stats.ts";

const resultsDir = Deno.env.get("BENCH_RESULTS_DIR") ??
  new URL("./results", import.meta.url).pathname;
const profileDir = Deno.env.get("BENCH_CPU_PROFILE_DIR");
const q = <T>(quick: T, full: T): T => QUICK ? quick : full;

type Result = Record<string, unknown> & { audit?: AuditSummary };
interface AuditSummary {
  ok: boolean;
  checks: AuditReport["checks"];
  violations: AuditReport["violations"];
}

/** What one side of a comparison did, in the shape every scenario reports. */
function side(r: LoadReport, counters: Record<string, number>, route?: string) {
  const s: RouteStats = route ? r.routes[route] ?? r.total : r.total;
  return {
    requests: s.requests,
    successes: s.successes,
    rejections: s.rejections,
    errors: s.errors,
    elapsedMs: r.elapsedMs,
    reqPerSec: perSecond(s.requests, r.elapsedMs),
    successesPerSec: perSecond(s.successes, r.elapsedMs),
    latencyMs: s.latency,
    concurrency: r.concurrency,
    loadgenCores: r.loadgenCores,
    ...counters,
  };
}

const ratio = (a: number, b: number) => b > 0 ? round(a / b, 3) : null;
const machine = () => ({
  cores: navigator.hardwareConcurrency,
  cpu: /model name\s*:\s*(.*)/.exec(Deno.readTextFileSync("/proc/cpuinfo"))?.[1] ?? "unknown",
  deno: Deno.version.deno,
});
const serverFlags = (name: string) =>
  profileDir
    ? [`--cpu-prof`, `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${name}.cpuprofile`]
    : [];

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

// ------------------------------------------------------------------------------- scenarios

async function soldout(b: Bench): Promise<Result> {
  await b.open({}, serverFlags("soldout"));
  const sale = await b.sale({ stock: 0, limit: 4 });
  const buyers = await b.buyers(q(50, 1000));
  const concurrency = q(16, 64);
  const durationMs = q(1000, 10_000);
  const job = (baseUrl: string, ms: number) => ({
    baseUrl,
    workload: "create-loop" as const,
    params: {
      tokens: buyers.map((u) => u.token),
      body: {
        showId: sale.showId,
        sessionId: sale.sessionId,
        ticketId: sale.ticketId,
        quantity: 1,
      },
      perBuyer: 0,
    },
    concurrency,
    durationMs: ms,
  });
  const bare = await b.start("bench/baselines/soldout_bare.ts", {
    REDIS_URL: b.redisUrl,
    REDIS_PREFIX: b.prefix,
    SESSION_ID: String(sale.sessionId),
    TICKET_ID: String(sale.ticketId),
  });
  const warm = q(0, 2000);
  if (warm) {
    await loadgen(job(b.server.url, warm));
    await loadgen(job(bare.url, warm));
  }
  const ours = await b.measure(
    b.server.pid,
    (r) => r.total.requests,
    () => loadgen(job(b.server.url, durationMs)),
  );
  const base = await b.measure(
    bare.pid,
    (r) => r.total.requests,
    () => loadgen(job(bare.url, durationMs)),
  );
  const o = side(ours.result, { ...ours.counters });
  const bs = side(base.result, { ...base.counters });
  return {
    boxoffice: o,
    baseline: { what: "bare Hono app, one EVALSHA of reserve.lua per request", ...bs },
    ratios: { reqPerSec: ratio(o.reqPerSec, bs.reqPerSec) },
    targets: { reqPerSec: 0.6 },
    met: { reqPerSec: (ratio(o.reqPerSec, bs.reqPerSec) ?? 0) >= 0.6 },
    loadgenHeadroom: {
      note: "the same load generator drove the bare baseline this many times harder",
      bareOverBoxoffice: ratio(bs.reqPerSec, o.reqPerSec),
    },
    checks: {
      allSoldOut: o.successes === 0 &&
        (o.rejections as Record<string, number>).SOLD_OUT === o.requests,
    },
  };
}

async function flashsale(b: Bench): Promise<Result> {
  await b.open({}, serverFlags("flashsale"));
  const stock = q(200, 20_000);
  const perBuyer = 10;
  const sale = await b.sale({ stock, limit: 10 });
  const buyers = await b.buyers(stock / perBuyer);
  const concurrency = q(16, 64);
  const maxMs = q(15_000, 120_000);
  const ours = await b.measure(b.server.pid, (r) => r.total.requests, () =>
    loadgen({
      baseUrl: b.server.url,
      workload: "create-loop",
      params: {
        tokens: buyers.map((u) => u.token),
        body: {
          showId: sale.showId,
          sessionId: sale.sessionId,
          ticketId: sale.ticketId,
          quantity: 1,
        },
        perBuyer,
        idempotency: true,
        stopOn: ["SOLD_OUT", "LIMIT_EXCEEDED"],
      },
      concurrency,
      durationMs: maxMs,
    }));
  const after = await tierState(b.databaseUrl, sale.ticketId);
  const o = side(ours.result, { ...ours.counters });
  const rej = o.rejections as Record<string, number>;
  const otherFailures = o.requests - o.successes - (rej.SOLD_OUT ?? 0) - (rej.LIMIT_EXCEEDED ?? 0);
  const spurious = otherFailures + (after.remaining > 0 ? (rej.SOLD_OUT ?? 0) : 0);

  const baseUrl = await b.baseDb();
  const tier = await insertTier(baseUrl, { stock, limit: 10, price: sale.price });
  const sql = await b.measure(
    b.server.pid,
    (r: { total: RouteStats }) => r.total.requests,
    () =>
      runJsonProcess<
        { elapsedMs: number; total: RouteStats; ordersPerSecond: number; loadgenCores: number }
      >(
        "bench/baselines/flashsale_sql.ts",
        {
          databaseUrl: baseUrl,
          poolSize: POOL_SIZE,
          concurrency,
          durationMs: maxMs,
          ...tier,
          price: sale.price,
          userIds: buyers.map((u) => u.id),
          perBuyer,
        },
      ),
  );
  const baseAfter = await tierState(baseUrl, tier.ticketId);
  const s = sql.result;
  const oursRate = perSecond(o.successes, o.elapsedMs);
  const baseRate = perSecond(s.total.successes, s.elapsedMs);
  return {
    boxoffice: { ...o, ordersPerSec: oursRate, stockAfter: after },
    baseline: {
      what: "the same SQL transaction straight to MariaDB, same pool size and concurrency",
      requests: s.total.requests,
      successes: s.total.successes,
      rejections: s.total.rejections,
      errors: s.total.errors,
      elapsedMs: s.elapsedMs,
      ordersPerSec: baseRate,
      latencyMs: s.total.latency,
      concurrency,
      poolSize: POOL_SIZE,
      loadgenCores: s.loadgenCores,
      rowLockWaits: sql.counters.rowLockWaits,
      rowLockMsPerRequest: sql.counters.rowLockMsPerRequest,
      stockAfter: baseAfter,
    },
    ratios: { ordersPerSec: ratio(oursRate, baseRate) },
    targets: { ordersPerSec: 0.7, oversell: 0, spuriousFailures: 0 },
    oversell: Math.max(0, after.ordered - after.total) + Math.max(0, -after.remaining),
    spuriousFailures: spurious,
    met: {
      ordersPerSec: (ratio(oursRate, baseRate) ?? 0) >= 0.7,
      oversell: after.ordered <= after.total && after.remaining >= 0,
      spuriousFailures: spurious === 0,
    },
    maxCreateReqPerSec: o.reqPerSec,
  };
}

async function seedDesign(b: Bench): Promise<Result> {
  await b.open({}, serverFlags("seed-design"));
  const stock = 1_000_000;
  const sale = await b.sale({ stock, limit: 10 });
  const buyers = await b.buyers(q(30, 500));
  const baseUrl = await b.baseDb();
  const tier = await insertTier(baseUrl, { stock, limit: 10, price: sale.price });
  const seed = await b.start("bench/baselines/seed_design.ts", {
    DATABASE_URL: baseUrl,
    JWT_SECRET: b.jwtSecret,
    DB_POOL_SIZE: String(POOL_SIZE),
  });
  const concurrency = buyers.length; // every buyer at once, one connection each
  const durationMs = q(3000, 20_000);
  const job = (url: string, ticket: { showId: number; sessionId: number; ticketId: number }) => ({
    baseUrl: url,
    workload: "create-loop" as const,
    params: {
      tokens: buyers.map((u) => u.token),
      body: {
        showId: ticket.showId,
        sessionId: ticket.sessionId,
        ticketId: ticket.ticketId,
        quantity: 1,
      },
      perBuyer: 10,
      idempotency: true,
      stopOn: ["LIMIT_EXCEEDED", "SOLD_OUT"],
    },
    concurrency,
    durationMs,
  });
  const ours = await b.measure(
    b.server.pid,
    (r) => r.total.requests,
    () => loadgen(job(b.server.url, sale)),
  );
  const base = await b.measure(
    seed.pid,
    (r) => r.total.requests,
    () => loadgen(job(seed.url, tier)),
  );
  const o = side(ours.result, { ...ours.counters });
  const bs = side(base.result, { ...base.counters });
  const after = await tierState(b.databaseUrl, sale.ticketId);
  const baseAfter = await tierState(baseUrl, tier.ticketId);
  // Stock is left over the whole time: every refusal is a failure while stock remained.
  const failures = (x: typeof o) => x.requests - x.successes;
  return {
    boxoffice: { ...o, failuresWhileStockRemained: failures(o), stockAfter: after },
    baseline: {
      what:
        "reference strategy: SELECT stock+version, UPDATE ... WHERE version = ?, 3 retries, no Redis",
      ...bs,
      failuresWhileStockRemained: failures(bs),
      stockAfter: baseAfter,
    },
    ratios: { ordersPerSec: ratio(o.successesPerSec, bs.successesPerSec) },
    targets: { ordersPerSec: 3, spuriousFailures: 0 },
    met: {
      ordersPerSec: (ratio(o.successesPerSec, bs.successesPerSec) ?? 0) >= 3,
      spuriousFailures: failures(o) === 0,
    },
  };
}

async function seats(b: Bench): Promise<Result> {
  await b.open({}, serverFlags("seats"));
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
  const layout = await b.ok<{ seats: { id: number }[] }>(
    "GET",
    `/api/seat/layout/${area.data.id}?sessionId=${sale.sessionId}`,
  );
  const seatIds = layout.seats.map((s) => s.id);
  const buyers = await b.buyers(q(60, 500));
  const ours = await b.measure(b.server.pid, (r) => r.total.requests, () =>
    loadgen({
      baseUrl: b.server.url,
      workload: "seats",
      params: {
        tokens: buyers.map((u) => u.token),
        sessionId: sale.sessionId,
        seatIds,
        ordersPerBuyer: 2,
      },
      concurrency: q(8, 32),
      durationMs: q(5000, 60_000),
    }));
  const r = ours.result;
  const doubleSold = await b.ctx.db.rows<{ seat_id: number; n: number }>(
    `SELECT oi.seat_id, COUNT(*) AS n FROM order_items oi JOIN orders o ON o.id = oi.order_id
      WHERE o.status ${ACTIVE_STATUSES_SQL} AND oi.seat_id IS NOT NULL GROUP BY oi.seat_id HAVING COUNT(*) > 1`,
  );
  const holdsPerSec = perSecond(r.routes.hold?.successes ?? 0, r.elapsedMs);
  const ordersPerSec = perSecond(r.routes.create?.successes ?? 0, r.elapsedMs);
  const sold = await previous("soldout");
  const soldoutRate = (sold?.boxoffice as { reqPerSec?: number } | undefined)?.reqPerSec ?? null;
  return {
    boxoffice: {
      ...side(r, { ...ours.counters }),
      routes: Object.fromEntries(
        Object.entries(r.routes).map(([k, v]) => [k, {
          requests: v.requests,
          successes: v.successes,
          rejections: v.rejections,
          errors: v.errors,
          latencyMs: v.latency,
        }]),
      ),
      holdsPerSec,
      seatedOrdersPerSec: ordersPerSec,
      seats: seatIds.length,
      ...r.extra,
    },
    baseline: { what: "boxoffice's own soldout req/s of this run", soldoutReqPerSec: soldoutRate },
    ratios: {
      holdsPerSec: soldoutRate ? ratio(holdsPerSec, soldoutRate) : null,
      seatedOrdersPerSec: soldoutRate ? ratio(ordersPerSec, soldoutRate) : null,
    },
    doubleSoldSeats: doubleSold.length,
    met: { doubleSoldSeats: doubleSold.length === 0 },
  };
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
  if (seated) {
    const layout = await b.ok<{ seats: { id: number }[] }>(
      "GET",
      `/api/seat/layout/${area.data.id}?sessionId=${sale.sessionId}`,
    );
    seatIds = layout.seats.map((s) => s.id);
  }
  const flash = await previous("flashsale");
  const maxRate = Number(flash?.maxCreateReqPerSec ?? 0);
  const rate = QUICK ? 60 : Math.max(50, Math.round(maxRate / 2) || 300);
  const weights = seated
    ? { list: 40, detail: 30, layout: 10, hold: 10, create: 7, pay: 3 }
    : { list: 40, detail: 40, layout: 0, hold: 0, create: 7, pay: 3 };
  const buyers = await b.buyers(q(100, 3000));
  const job = (tokens: string[], durationMs: number) => ({
    baseUrl: b.server.url,
    workload: "mixed" as const,
    params: {
      tokens,
      showId: sale.showId,
      sessionId: sale.sessionId,
      ticketId: sale.ticketId,
      areaId: seated ? area.data.id : null,
      seatIds,
      weights,
    },
    concurrency: q(16, 64),
    durationMs,
    rate,
  });
  // Warm-up (JIT, pools) with buyers of its own, not measured.
  const warmBuyers = QUICK ? [] : await b.buyers(300);
  if (!QUICK) await loadgen(job(warmBuyers.map((u) => u.token), 3000));
  const ours = await b.measure(
    b.server.pid,
    (r) => r.total.requests,
    () => loadgen(job(buyers.map((u) => u.token), q(2000, 20_000))),
  );
  const r = ours.result;
  const p99 = Object.fromEntries(Object.entries(r.routes).map(([k, v]) => [k, v.latency.p99]));
  const createP99 = r.routes.create?.latency.p99 ?? null;
  const rss = ours.counters.serverRssPeakMb;
  return {
    boxoffice: {
      ...side(r, { ...ours.counters }),
      targetRate: rate,
      routes: Object.fromEntries(
        Object.entries(r.routes).map(([k, v]) => [k, {
          requests: v.requests,
          successes: v.successes,
          rejections: v.rejections,
          errors: v.errors,
          latencyMs: v.latency,
        }]),
      ),
      ...r.extra,
    },
    baseline: {
      what: "half the boxoffice flashsale create rate of this run",
      flashsaleMaxCreateReqPerSec: maxRate || null,
    },
    weights,
    seats: seated ? "present" : "seat API not present: layout and hold left out of the mix",
    p99ByRouteMs: p99,
    ratios: {
      achievedRateOverTarget: ratio(perSecond(r.total.requests, r.elapsedMs), rate),
      createP99OverTarget: createP99 === null ? null : ratio(createP99, 25),
      rssOverTarget: ratio(rss, 150),
    },
    targets: { createP99Ms: 25, serverRssPeakMb: 150 },
    met: { createP99Ms: createP99 !== null && createP99 <= 25, serverRssPeakMb: rss <= 150 },
  };
}

const SCENARIOS: Record<string, (b: Bench) => Promise<Result>> = {
  soldout,
  flashsale,
  "seed-design": seedDesign,
  seats,
  mixed,
};

// ------------------------------------------------------------------------------- main

const names = Deno.args.length ? Deno.args : Object.keys(SCENARIOS);
for (const n of names) {
  if (!SCENARIOS[n]) {
    console.error(`bench: unknown scenario ${n}; known: ${Object.keys(SCENARIOS).join(", ")}`);
    Deno.exit(2);
  }
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
