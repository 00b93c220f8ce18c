/**
 * Scenario `onsale` (issue 19): an on-sale that brings 10x the create rate the service sustains,
 * all arriving at once, with the session's waiting room on and, beside it, the same load with
 * the room off. Prints one JSON document (also bench/results/onsale.json).
 *
 *   deno run -A bench/onsale.ts            # about a minute
 *   BENCH_QUICK=1 deno run -A bench/onsale.ts
 *
 * 1. The sustained create rate R: 32 workers creating in a loop for a few seconds.
 * 2. Room on: N = 10 x R buyers arrive within 1 s, before the room opens (2 s after the start,
 *    so their order is drawn at random); the room admits A = 0.4 x R buyers per second; the
 *    stock is A x 20 s (80 % of the buyers get a ticket). Each buyer joins, polls, and creates
 *    with its pass once admitted. The admission rate is measured from the opening until the
 *    room starts holding buyers back for the last tickets (stock - A x 10 s admitted).
 * 3. Room off: the same N buyers on a new tier of the same stock create at once.
 * Both on one server (MAX_IN_FLIGHT = BENCH_MAX_IN_FLIGHT, default 256), both retry a 503 after
 * its Retry-After. Reported: the admitted buyers' create p99 and rate against the configured
 * rate, the measured admission rate, oversell (must be 0) and the invariant audit; for the room
 * off, the creates' p99, successes and refusals.
 *
 * Environment: BENCH_DATABASE_URL / BENCH_REDIS_URL, BENCH_RESULTS_DIR, BENCH_MAX_IN_FLIGHT,
 * BENCH_SERVER_FLAGS, BENCH_QUICK=1 (tiny).
 */
import { Bench, EXTRA_SERVER_FLAGS, QUICK, runJsonProcess, say, tierState } from "./harness.ts";
import type { BuyersJob, BuyersReport } from "./onsale_buyers.ts";
import { round } from "./stats.ts";

const q = <T>(quick: T, full: T): T => QUICK ? quick : full;
const resultsDir = Deno.env.get("BENCH_RESULTS_DIR") ??
  new URL("./results", import.meta.url).pathname;
const maxInFlight = Number(Deno.env.get("BENCH_MAX_IN_FLIGHT") ?? 256);
const ARRIVAL_SPREAD_MS = 1000;
const OPENS_IN_MS = 2000;
const SALE_SECONDS = q(4, 20);
const ADMIT_SHARE = 0.4;
/** As lib/queue/admission.ts: past stock - A x this, the room waits for buyers to buy. */
const BUYING_SECONDS = 10;

const buyers = (job: BuyersJob) => runJsonProcess<BuyersReport>("bench/onsale_buyers.ts", job);

interface Sample {
  ms: number;
  admitted: number;
  waiting: number;
  soldOut: boolean;
}

export async function onsale(): Promise<Record<string, unknown>> {
  const bench = new Bench("onsale");
  let result: Record<string, unknown> = {};
  try {
    say(`onsale: database ${bench.database}, Redis prefix ${bench.prefix}`);
    await bench.open({ MAX_IN_FLIGHT: String(maxInFlight) }, EXTRA_SERVER_FLAGS);
    const url = bench.server.url;

    // 1. What the service sustains.
    say("onsale: measuring the sustained create rate");
    const probe = await bench.sale({ stock: 1_000_000, limit: 10 });
    const probeBuyers = await bench.buyers(q(100, 800));
    const sustained = await bench.measure(
      bench.server.pid,
      (r) => r.routes.create?.requests ?? 0,
      () =>
        buyers({
          baseUrl: url,
          mode: "sustain",
          concurrency: 32,
          sessionId: probe.sessionId,
          ticketId: probe.ticketId,
          tokens: probeBuyers.map((b) => b.token),
          spreadMs: 0,
          durationMs: q(1500, 3000),
        }),
    );
    const create = sustained.result.routes.create;
    const sustainedServerCores = sustained.counters.serverCores;
    const rate = create.successes / (sustained.result.elapsedMs / 1000);
    const n = Math.max(50, Math.min(q(300, 6000), Math.round(10 * rate)));
    const admitPerSecond = Math.max(1, Math.round(rate * ADMIT_SHARE));
    const stock = Math.max(10, Math.round(admitPerSecond * SALE_SECONDS));
    say(`onsale: sustained ${round(rate, 1)} creates/s; ${n} buyers, room ${admitPerSecond}/s`);
    const tokens = (await bench.buyers(n)).map((b) => b.token);
    const durationMs = OPENS_IN_MS + ARRIVAL_SPREAD_MS + (stock / admitPerSecond) * 1000 + 20_000;

    // 2. Room on.
    const on = await bench.sale({ stock, limit: 4 });
    const opensAt = Date.now() + OPENS_IN_MS;
    await bench.ok("PUT", `/api/queue/${on.sessionId}`, {
      enabled: true,
      admitPerSecond,
      opensAt: new Date(opensAt).toISOString(),
    });
    say("onsale: room on");
    const samples: Sample[] = [];
    let sampling = true;
    const t0 = performance.now();
    const sampler = (async () => {
      // The admin's view every 250 ms, on its own clock (the buyers run in another process).
      while (sampling) {
        const r = await bench.api<{ admitted: number; waiting: number; soldOut: boolean }>(
          "GET",
          `/api/queue/${on.sessionId}`,
        );
        if (r.status === 200) samples.push({ ms: performance.now() - t0, ...r.data });
        await new Promise((res) => setTimeout(res, 250));
      }
    })();
    const roomOn = await bench.measure(
      bench.server.pid,
      (r) => Object.values(r.routes).reduce((s, x) => s + x.requests, 0),
      () =>
        buyers({
          baseUrl: url,
          mode: "room",
          sessionId: on.sessionId,
          ticketId: on.ticketId,
          tokens,
          spreadMs: ARRIVAL_SPREAD_MS,
          durationMs,
        }),
    ).finally(() => sampling = false);
    await sampler;
    const onStock = await tierState(bench.databaseUrl, on.ticketId);

    // 3. Room off: same buyers, same stock, a tier of its own.
    say("onsale: room off");
    const off = await bench.sale({ stock, limit: 4 });
    const roomOff = await bench.measure(
      bench.server.pid,
      (r) => Object.values(r.routes).reduce((s, x) => s + x.requests, 0),
      () =>
        buyers({
          baseUrl: url,
          mode: "open",
          sessionId: off.sessionId,
          ticketId: off.ticketId,
          tokens,
          spreadMs: ARRIVAL_SPREAD_MS,
          durationMs,
        }),
    );
    const offStock = await tierState(bench.databaseUrl, off.ticketId);

    const admission = admissionRate(samples, stock - admitPerSecond * BUYING_SECONDS);
    const onCreates = roomOn.result.routes.create;
    const offCreates = roomOff.result.routes.create;
    const oversell = (s: typeof onStock) =>
      Math.max(0, s.ordered - s.total, s.locked + s.sold - s.total);
    result = {
      scenario: "onsale",
      sustainedCreatesPerSec: round(rate, 1),
      sustainedServerCores,
      buyers: n,
      arrivalSpreadMs: ARRIVAL_SPREAD_MS,
      stock,
      admitPerSecond,
      maxInFlight,
      roomOn: {
        admittedPerSec: admission.perSec,
        admittedOverConfigured: round(admission.perSec / admitPerSecond, 3),
        admissionWindowMs: admission.windowMs,
        admittedCreatesLatencyMs: roomOn.result.successfulCreates.latency,
        admittedCreateAttempts: summary(onCreates),
        admittedCreatesPerSec: roomOn.result.successesPerSec,
        admittedCreatesOverConfigured: round(roomOn.result.successesPerSec / admitPerSecond, 3),
        join: summary(roomOn.result.routes.join),
        status: summary(roomOn.result.routes.status),
        outcomes: roomOn.result.outcomes,
        soldOutAfterMs: roomOn.result.lastSuccessMs,
        sold: onStock.locked + onStock.sold,
        oversell: oversell(onStock),
        ...roomOn.counters,
      },
      roomOff: {
        createsLatencyMs: roomOff.result.successfulCreates.latency,
        createAttempts: summary(offCreates),
        createsPerSec: roomOff.result.successesPerSec,
        outcomes: roomOff.result.outcomes,
        soldOutAfterMs: roomOff.result.lastSuccessMs,
        sold: offStock.locked + offStock.sold,
        oversell: oversell(offStock),
        ...roomOff.counters,
      },
      targets: {
        admittedCreatesP99Ms: 150,
        admittedCreatesOverConfigured: 0.8,
        oversell: 0,
      },
    };
    result.met = {
      admittedCreatesP99: roomOn.result.successfulCreates.latency.p99 <= 150,
      admittedCreatesRate: roomOn.result.successesPerSec >= 0.8 * admitPerSecond,
      noOversell: oversell(onStock) === 0 && oversell(offStock) === 0,
    };
  } catch (e) {
    result.error = e instanceof Error ? e.message : String(e);
  } finally {
    try {
      const report = await bench.close();
      result.audit = report
        ? { ok: report.ok, violations: report.violations }
        : { ok: false, violations: "no audit" };
    } catch (e) {
      result.audit = { ok: false, error: e instanceof Error ? e.message : String(e) };
    }
  }
  return result;
}

/**
 * Admissions per second from the first sample after the opening until sold out, the queue ran
 * dry, or `until` buyers were admitted (then the room holds back for the last tickets).
 */
function admissionRate(samples: Sample[], until: number): { perSec: number; windowMs: number } {
  const open = samples.findIndex((s) => s.ms >= OPENS_IN_MS + 250 && s.admitted > 0);
  if (open < 0) return { perSec: 0, windowMs: 0 };
  let end = samples.findIndex((s, i) =>
    i > open && (s.soldOut || s.waiting === 0 || s.admitted >= until)
  );
  if (end < 0) end = samples.length - 1;
  // The sample before sold out: admission stopped somewhere in between.
  if (end > open + 1) end -= 1;
  const a = samples[open], b = samples[end];
  const ms = b.ms - a.ms;
  return {
    perSec: ms > 0 ? round((b.admitted - a.admitted) / (ms / 1000), 2) : 0,
    windowMs: round(ms, 0),
  };
}

function summary(
  r: {
    requests: number;
    successes: number;
    rejections: Record<string, number>;
    errors: number;
    latency: { p50: number; p99: number; max: number };
  } | undefined,
) {
  if (!r) return null;
  return {
    requests: r.requests,
    successes: r.successes,
    rejections: r.rejections,
    errors: r.errors,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    maxMs: r.latency.max,
  };
}

if (import.meta.main) {
  const result = await onsale();
  await Deno.mkdir(resultsDir, { recursive: true });
  const text = JSON.stringify(result, null, 2);
  await Deno.writeTextFile(`${resultsDir}/onsale.json`, text + "\n");
  console.log(text);
  const audit = result.audit as { ok: boolean };
  Deno.exit(audit.ok ? 0 : 1);
}
