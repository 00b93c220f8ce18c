/**
 * The numbers of the reference system's stock dashboard (`/api/stock/monitor/*`), answered from
 * boxoffice's own data: the stock from MySQL (the system of record), everything else from this
 * process's Prometheus counters (lib/platform/metrics.ts). Each reply carries the fields its web
 * client reads (camelCase) and the ones the reference's controller returned (snake_case).
 *
 * What the reference's operations are here, by route:
 * - lock (its stock lock): order create, seat hold;
 * - deduct / confirm: order pay;
 * - unlock / rollback: order cancel, seat release.
 * An operation succeeded when its reply was below 400. Rates are percentages (0-100), 0 when
 * nothing was counted, as the reference had it.
 */
import type { AppContext } from "#lib/platform/context.ts";
import { type MetricSample, metricSamples } from "#lib/platform/metrics.ts";
import { checkReadiness } from "./readiness.ts";

const OPERATIONS = {
  lock: ["/api/order/create", "/api/seat/lock", "/api/seat/lock/single", "/api/seat/best"],
  deduct: ["/api/order/pay", "/api/order/pay/{orderNoOrId}"],
  unlock: [
    "/api/order/cancel",
    "/api/order/cancel/{orderNoOrId}",
    "/api/seat/release",
    "/api/seat/release/single",
    "/api/seat/unlock",
  ],
};

const pct = (part: number, whole: number) =>
  whole > 0 ? Math.round((part / whole) * 10_000) / 100 : 0;

// ---------------------------------------------------------------- stock

export interface StockStats {
  totalStock: number;
  availableStock: number;
  lockedStock: number;
  soldStock: number;
  /** (locked + sold) / total, percent. */
  stockUtilization: number;
  /** Tiers with stock left but less than LOW_STOCK_RATIO of their total. */
  lowStockCount: number;
  /** Tiers with none left. */
  outOfStockCount: number;
  /** Tiers counted: those of sessions not deleted and not over. */
  tierCount: number;
  timestamp: string;
}

export async function stockStats(ctx: AppContext): Promise<StockStats> {
  const [row] = await ctx.db.read.rows<Record<string, number | string | null>>(
    `SELECT COUNT(*) AS tiers,
            COALESCE(SUM(st.total_stock), 0) AS total,
            COALESCE(SUM(st.locked_stock), 0) AS locked,
            COALESCE(SUM(st.sold_stock), 0) AS sold,
            COALESCE(SUM(st.total_stock > 0
                         AND st.total_stock - st.locked_stock - st.sold_stock = 0), 0) AS out_of_stock,
            COALESCE(SUM(st.total_stock - st.locked_stock - st.sold_stock > 0
                         AND st.total_stock - st.locked_stock - st.sold_stock
                             < st.total_stock * ?), 0) AS low
       FROM tickets t
       JOIN ticket_stock st ON st.ticket_id = t.id
       JOIN sessions se ON se.id = t.session_id
      WHERE t.deleted_at IS NULL AND se.deleted_at IS NULL AND se.end_time > ?`,
    [ctx.config.lowStockRatio, new Date(ctx.now())],
  );
  const total = Number(row.total);
  const locked = Number(row.locked);
  const sold = Number(row.sold);
  return {
    totalStock: total,
    availableStock: total - locked - sold,
    lockedStock: locked,
    soldStock: sold,
    stockUtilization: pct(locked + sold, total),
    lowStockCount: Number(row.low),
    outOfStockCount: Number(row.out_of_stock),
    tierCount: Number(row.tiers),
    timestamp: new Date(ctx.now()).toISOString(),
  };
}

// ---------------------------------------------------------------- counters

interface RouteCounts {
  ok: number;
  failed: number;
}

/** Requests answered per route template, split at status 400. */
async function requestsByRoute(): Promise<Map<string, RouteCounts>> {
  const out = new Map<string, RouteCounts>();
  for (const s of await metricSamples("http_requests_total")) {
    const route = String(s.labels.route);
    const c = out.get(route) ?? { ok: 0, failed: 0 };
    if (Number(s.labels.status) < 400) c.ok += s.value;
    else c.failed += s.value;
    out.set(route, c);
  }
  return out;
}

async function requestsByStatus(): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const s of await metricSamples("http_requests_total")) {
    const status = Number(s.labels.status);
    out.set(status, (out.get(status) ?? 0) + s.value);
  }
  return out;
}

function sumOf(samples: MetricSample[], where: (labels: MetricSample["labels"]) => boolean) {
  return samples.filter((s) => where(s.labels)).reduce((n, s) => n + s.value, 0);
}

export interface SuccessRates {
  totalOperations: number;
  successfulOperations: number;
  failedOperations: number;
  successRate: number;
  lockSuccessRate: number;
  unlockSuccessRate: number;
  deductSuccessRate: number;
  lock_success_rate: number;
  confirm_success_rate: number;
  rollback_success_rate: number;
  total_operations: number;
  error_operations: number;
  overall_success_rate: number;
  timestamp: number;
}

export async function successRates(ctx: AppContext): Promise<SuccessRates> {
  const byRoute = await requestsByRoute();
  const of = (routes: string[]) =>
    routes.reduce((acc, r) => {
      const c = byRoute.get(r);
      return { ok: acc.ok + (c?.ok ?? 0), failed: acc.failed + (c?.failed ?? 0) };
    }, { ok: 0, failed: 0 });
  const lock = of(OPERATIONS.lock);
  const deduct = of(OPERATIONS.deduct);
  const unlock = of(OPERATIONS.unlock);
  const ok = lock.ok + deduct.ok + unlock.ok;
  const failed = lock.failed + deduct.failed + unlock.failed;
  const rate = (c: RouteCounts) => pct(c.ok, c.ok + c.failed);
  return {
    totalOperations: ok + failed,
    successfulOperations: ok,
    failedOperations: failed,
    successRate: pct(ok, ok + failed),
    lockSuccessRate: rate(lock),
    unlockSuccessRate: rate(unlock),
    deductSuccessRate: rate(deduct),
    lock_success_rate: rate(lock),
    confirm_success_rate: rate(deduct),
    rollback_success_rate: rate(unlock),
    total_operations: ok + failed,
    error_operations: failed,
    overall_success_rate: pct(ok, ok + failed),
    timestamp: ctx.now(),
  };
}

export interface Performance {
  /** Mean reply time of every request answered, ms. */
  averageResponseTime: number;
  /** Upper bound of the slowest latency bucket with a request in it, ms. */
  maxResponseTime: number;
  /** Lower bound of the fastest latency bucket with a request in it, ms. */
  minResponseTime: number;
  /** Since the previous call (at least 1 s before), else since the process started. */
  requestsPerSecond: number;
  /** MySQL connections in use now. */
  activeConnections: number;
  avg_response_time_ms: number;
  max_response_time_ms: number;
  total_operations: number;
  qps: number;
  error_rate: number;
  concurrent_operations: number;
  timestamp: number;
}

const lastSample = new WeakMap<AppContext, { at: number; count: number }>();

/** `remember: false` leaves the requests-per-second baseline of the dashboard's polls alone. */
export async function performanceStats(
  ctx: AppContext,
  { remember = true } = {},
): Promise<Performance> {
  const samples = await metricSamples("http_request_duration_seconds");
  const count = sumOf(samples.filter((s) => s.metricName?.endsWith("_count")), () => true);
  const sum = sumOf(samples.filter((s) => s.metricName?.endsWith("_sum")), () => true);
  // Buckets are cumulative per series; add the series up bound by bound.
  const buckets = new Map<number, number>();
  for (const s of samples.filter((s) => s.metricName?.endsWith("_bucket"))) {
    const le = s.labels.le === "+Inf" ? Infinity : Number(s.labels.le);
    buckets.set(le, (buckets.get(le) ?? 0) + s.value);
  }
  const bounds = [...buckets.keys()].sort((a, b) => a - b);
  const finite = bounds.filter(Number.isFinite);
  let min = 0;
  let max = 0;
  if (count > 0) {
    const firstIndex = bounds.findIndex((b) => buckets.get(b)! > 0);
    min = firstIndex > 0 ? bounds[firstIndex - 1] : 0;
    const full = bounds.find((b) => buckets.get(b)! >= count)!;
    max = Number.isFinite(full) ? full : finite[finite.length - 1] ?? 0;
  }
  const now = ctx.now();
  const previous = lastSample.get(ctx);
  const uptimeSeconds = performance.now() / 1000;
  let rps = uptimeSeconds > 0 ? count / uptimeSeconds : 0;
  if (previous && now - previous.at >= 1000) {
    rps = (count - previous.count) / ((now - previous.at) / 1000);
  }
  if (remember && (!previous || now - previous.at >= 1000)) {
    lastSample.set(ctx, { at: now, count });
  }
  const statuses = await requestsByStatus();
  const answered = [...statuses.values()].reduce((a, b) => a + b, 0);
  const serverErrors = [...statuses].filter(([s]) => s >= 500).reduce((n, [, v]) => n + v, 0);
  const inUse = ctx.db.poolStats().inUse;
  const avgMs = count > 0 ? Math.round((sum / count) * 1000 * 100) / 100 : 0;
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    averageResponseTime: avgMs,
    maxResponseTime: round(max * 1000),
    minResponseTime: round(min * 1000),
    requestsPerSecond: round(rps),
    activeConnections: inUse,
    avg_response_time_ms: avgMs,
    max_response_time_ms: round(max * 1000),
    total_operations: count,
    qps: round(rps),
    error_rate: pct(serverErrors, answered),
    concurrent_operations: inUse,
    timestamp: now,
  };
}

export interface ExceptionStats {
  totalExceptions: number;
  /** Orders refused for lack of stock. */
  stockInsufficientCount: number;
  /** Seat holds refused because another buyer held or had the seat. */
  concurrencyConflictCount: number;
  /** Replies 500 (a bug). */
  systemErrorCount: number;
  /** Replies 503 (a store unavailable, a session being rebuilt, overload). */
  networkErrorCount: number;
  timestamp: number;
}

export async function exceptionStats(ctx: AppContext): Promise<ExceptionStats> {
  const soldOut = sumOf(await metricSamples("boxoffice_sold_out_rejections_total"), () => true);
  const taken = sumOf(
    await metricSamples("boxoffice_seat_holds_total"),
    (l) => l.outcome === "taken",
  );
  const statuses = await requestsByStatus();
  const system = statuses.get(500) ?? 0;
  const network = statuses.get(503) ?? 0;
  return {
    totalExceptions: soldOut + taken + system + network,
    stockInsufficientCount: soldOut,
    concurrencyConflictCount: taken,
    systemErrorCount: system,
    networkErrorCount: network,
    timestamp: ctx.now(),
  };
}

export interface MonitorHealth {
  status: "UP" | "DOWN" | "DEGRADED";
  database: "UP" | "DOWN";
  redis: "UP" | "DOWN";
  /**
   * The reference's service registry. boxoffice is one process with nothing to discover: UP
   * whenever this process answers (its Lua scripts loaded), DOWN otherwise.
   */
  nacos: "UP" | "DOWN";
  /** Seconds since this process started. */
  uptime: number;
  timestamp: string;
  meter_registry: "UP";
  stock_monitor: "UP" | "DOWN";
  /** Share of replies that were 5xx, percent. */
  error_rate: number;
  low_error_rate: boolean;
  good_performance: boolean;
}

/**
 * UP when both stores answer and replies are healthy; DOWN when neither store answers;
 * DEGRADED otherwise (one store down, 5 % or more 5xx replies, or a mean reply of 1 s or more).
 */
export async function monitorHealth(ctx: AppContext): Promise<MonitorHealth> {
  const { checks } = await checkReadiness(ctx);
  const database = checks.database === "ok" ? "UP" : "DOWN";
  const redis = checks.redis === "ok" ? "UP" : "DOWN";
  const perf = await performanceStats(ctx, { remember: false });
  const lowErrorRate = perf.error_rate < 5;
  const goodPerformance = perf.averageResponseTime < 1000;
  const status = database === "DOWN" && redis === "DOWN"
    ? "DOWN"
    : database === "UP" && redis === "UP" && lowErrorRate && goodPerformance
    ? "UP"
    : "DEGRADED";
  return {
    status,
    database,
    redis,
    nacos: ctx.scripts.loaded ? "UP" : "DOWN",
    uptime: Math.round(performance.now() / 1000),
    timestamp: new Date(ctx.now()).toISOString(),
    meter_registry: "UP",
    stock_monitor: database,
    error_rate: perf.error_rate,
    low_error_rate: lowErrorRate,
    good_performance: goodPerformance,
  };
}
