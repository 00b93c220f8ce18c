/**
 * The process's Prometheus metrics, served as text by `GET /metrics`. One registry per process
 * (tests build many apps in one process; they all count into it, so tests compare deltas).
 * Domain code records events through the small functions below and never sees prom-client:
 *
 * ```ts
 * import { recordOrderEvent, recordSoldOut } from "./metrics.ts";
 * recordOrderEvent("created");
 * recordSoldOut();
 * ```
 *
 * Labels are bounded sets: HTTP routes are path templates (`/api/order/{id}`, or `unmatched`),
 * never raw paths, so a scan of random URLs cannot blow up the series count.
 */
import { promClient } from "#deps";
import type { AppContext } from "./context.ts";

const registry = new promClient.Registry();

/** Latency buckets (seconds) for HTTP requests: a flash sale answers in ms, a slow DB in s. */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Redis scripts run in well under a millisecond when healthy. */
const SCRIPT_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

// The two HTTP series are counted in plain maps and handed to prom-client only at scrape time:
// prom-client's inc/observe validate and hash their labels on every call, a few per cent of a
// cheap request's CPU. Same names, labels and exposition as prom-client's Counter and Histogram.
interface HttpSeries {
  method: string;
  route: string;
  byStatus: Map<number, number>;
  /** Per bucket of HTTP_BUCKETS, then one for larger values (not cumulative). */
  buckets: number[];
  sum: number;
  count: number;
}
const httpSeries = new Map<string, HttpSeries>();

type Sample = { value: number; labels: Record<string, string | number>; metricName?: string };
/** A metric prom-client's registry can expose: what its own metrics' get() returns. */
function customMetric(
  name: string,
  help: string,
  type: "counter" | "histogram",
  values: () => Sample[],
) {
  const metric = {
    name,
    help,
    type,
    aggregator: "sum",
    get: () => ({ name, help, type, aggregator: "sum", values: values() }),
    reset: () => httpSeries.clear(),
  };
  registry.registerMetric(metric as unknown as promClient.Metric);
}

customMetric(
  "http_requests_total",
  "HTTP requests answered, by method, route template and status",
  "counter",
  () =>
    [...httpSeries.values()].flatMap((s) =>
      [...s.byStatus].map(([status, value]) => ({
        value,
        labels: { method: s.method, route: s.route, status: String(status) },
      }))
    ),
);

customMetric(
  "http_request_duration_seconds",
  "Time from receiving a request to its reply, by method and route template",
  "histogram",
  () =>
    [...httpSeries.values()].flatMap((s) => {
      const name = "http_request_duration_seconds";
      const labels = { method: s.method, route: s.route };
      let acc = 0;
      const out: Sample[] = HTTP_BUCKETS.map((le, i) => ({
        value: acc += s.buckets[i],
        labels: { le, ...labels },
        metricName: `${name}_bucket`,
      }));
      out.push(
        { value: s.count, labels: { le: "+Inf", ...labels }, metricName: `${name}_bucket` },
        { value: s.sum, labels, metricName: `${name}_sum` },
        { value: s.count, labels, metricName: `${name}_count` },
      );
      return out;
    }),
);

export type OrderEvent = "created" | "paid" | "cancelled" | "expired";

const orders = new promClient.Counter({
  name: "boxoffice_orders_total",
  help: "Order lifecycle events: created, paid, cancelled, expired",
  labelNames: ["event"] as const,
  registers: [registry],
});

const soldOut = new promClient.Counter({
  name: "boxoffice_sold_out_rejections_total",
  help: "Order attempts refused because the tier had no stock left",
  registers: [registry],
});

const seatHolds = new promClient.Counter({
  name: "boxoffice_seat_holds_total",
  help: "Seat hold attempts by outcome (held, taken, released, expired, ...)",
  labelNames: ["outcome"] as const,
  registers: [registry],
});

const scriptSeconds = new promClient.Histogram({
  name: "boxoffice_redis_script_seconds",
  help: "Latency of the Redis Lua scripts (EVALSHA, and EVAL after NOSCRIPT), by script",
  labelNames: ["script"] as const,
  buckets: SCRIPT_BUCKETS,
  registers: [registry],
});

const orderBatchSize = new promClient.Histogram({
  name: "boxoffice_order_batch_size",
  help: "Creates per group-commit transaction (ORDER_BATCH), a split batch counted per part",
  buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000],
  registers: [registry],
});

const jobRuns = new promClient.Counter({
  name: "boxoffice_job_runs_total",
  help: "Background job runs by job name and outcome (ok, failed, skipped)",
  labelNames: ["job", "outcome"] as const,
  registers: [registry],
});

const dbPool = new promClient.Gauge({
  name: "boxoffice_db_pool_connections",
  help: "MySQL pool connections: in_use, idle, and requests waiting for one",
  labelNames: ["state"] as const,
  registers: [registry],
});

const compensationBacklog = new promClient.Gauge({
  name: "boxoffice_compensation_backlog",
  help: "Compensation records not yet applied (Redis/MySQL repairs waiting for a retry)",
  registers: [registry],
});

const queueWaiting = new promClient.Gauge({
  name: "boxoffice_queue_waiting",
  help: "Buyers waiting in a session's waiting room, as of this process's last admission step",
  labelNames: ["session"] as const,
  registers: [registry],
});

const queuePasses = new promClient.Gauge({
  name: "boxoffice_queue_passes_active",
  help: "Unexpired passes of a session's waiting room, as of this process's last admission step",
  labelNames: ["session"] as const,
  registers: [registry],
});

const queueAdmitted = new promClient.Counter({
  name: "boxoffice_queue_admitted_total",
  help: "Buyers admitted from a waiting room by this process's admission steps (rate() = per s)",
  labelNames: ["session"] as const,
  registers: [registry],
});

const shedRequests = new promClient.Counter({
  name: "boxoffice_shed_requests_total",
  help: "Requests answered 503 at once because MAX_IN_FLIGHT requests were in flight",
  registers: [registry],
});

// No collectDefaultMetrics(): under Deno several of its Node.js gauges (event-loop lag among
// them) read NaN; process-level numbers come from Deno's OpenTelemetry metrics instead.

/** Reads the backlog at scrape time; set by the compensation module. */
export type BacklogSource = (ctx: AppContext) => number | Promise<number>;
let backlogSource: BacklogSource | undefined;

// ------------------------------------------------------------------ recording

const KNOWN_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]);

/** One answered HTTP request. `route` is the template, or `unmatched` when no route matched. */
export function recordHttpRequest(
  method: string,
  route: string | undefined,
  status: number,
  seconds: number,
): void {
  const template = route ?? "unmatched";
  // A client picks the method string: anything unknown is one series, not one per spelling.
  const label = KNOWN_METHODS.has(method) ? method : "OTHER";
  const key = `${label} ${template}`;
  let s = httpSeries.get(key);
  if (!s) {
    s = {
      method: label,
      route: template,
      byStatus: new Map(),
      buckets: new Array(HTTP_BUCKETS.length + 1).fill(0),
      sum: 0,
      count: 0,
    };
    httpSeries.set(key, s);
  }
  s.byStatus.set(status, (s.byStatus.get(status) ?? 0) + 1);
  let i = 0;
  while (i < HTTP_BUCKETS.length && seconds > HTTP_BUCKETS[i]) i++;
  s.buckets[i]++;
  s.sum += seconds;
  s.count++;
}

/** An order was created, paid, cancelled (by the buyer or an admin) or expired unpaid. */
export function recordOrderEvent(event: OrderEvent, count = 1): void {
  orders.inc({ event }, count);
}

/** An order attempt was refused with SOLD_OUT. */
export function recordSoldOut(): void {
  soldOut.inc();
}

/** A seat hold attempt and how it ended: e.g. `held`, `taken`, `released`, `expired`. */
export function recordSeatHold(outcome: string, count = 1): void {
  seatHolds.inc({ outcome }, count);
}

/** One group-commit transaction of `size` creates was sent. */
export function recordOrderBatch(size: number): void {
  orderBatchSize.observe(size);
}

/** One run of a background job: `ok`, `failed`, or `skipped` (another instance had the lock). */
export function recordJobRun(job: string, outcome: "ok" | "failed" | "skipped"): void {
  jobRuns.inc({ job, outcome });
}

/** One admission step of a waiting room: what it admitted and the room's size after it. */
export function recordQueueStep(
  sessionId: number,
  step: { admitted: number; waiting: number; passesActive: number },
): void {
  const session = String(sessionId);
  if (step.admitted > 0) queueAdmitted.inc({ session }, step.admitted);
  queueWaiting.set({ session }, step.waiting);
  queuePasses.set({ session }, step.passesActive);
}

/** A request refused with 503 because the process had MAX_IN_FLIGHT requests in flight. */
export function recordShedRequest(): void {
  shedRequests.inc();
}

/** How long one Redis script call took. lib/platform/scripts.ts calls this for every `run`. */
export function recordScriptSeconds(script: string, seconds: number): void {
  scriptSeconds.observe({ script }, seconds);
}

/** Measures `fn` as one call of `script`, failures included. */
export async function timeScript<T>(script: string, fn: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await fn();
  } finally {
    recordScriptSeconds(script, (performance.now() - started) / 1000);
  }
}

/**
 * Where `boxoffice_compensation_backlog` comes from: called at every scrape with the serving
 * context (e.g. `(ctx) => countPendingCompensations(ctx)`). Unset, the gauge reads 0.
 */
export function setCompensationBacklogSource(source: BacklogSource | undefined): void {
  backlogSource = source;
}

// ------------------------------------------------------------------ reading

/** One sample of a metric: histograms give `<name>_bucket` (with `le`), `_sum` and `_count`. */
export interface MetricSample {
  metricName?: string;
  labels: Record<string, string | number>;
  value: number;
}

/** The current samples of one metric of this process (e.g. for a dashboard); [] if unknown. */
export async function metricSamples(name: string): Promise<MetricSample[]> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return [];
  return (await metric.get()).values as MetricSample[];
}

// ------------------------------------------------------------------ exposition

/** The media type of `metricsText`. */
export const METRICS_CONTENT_TYPE = registry.contentType;

/**
 * The whole registry in Prometheus text format. Gauges that read a store (the pool, the
 * compensation backlog) are refreshed from `ctx` first; a failing source leaves its gauge out
 * of date rather than failing the scrape.
 */
export async function metricsText(ctx: AppContext): Promise<string> {
  const pool = ctx.db.poolStats();
  dbPool.set({ state: "in_use" }, pool.inUse);
  dbPool.set({ state: "idle" }, pool.idle);
  dbPool.set({ state: "waiting" }, pool.waiting);
  if (backlogSource) {
    try {
      compensationBacklog.set(await backlogSource(ctx));
    } catch (e) {
      ctx.log.warn("metrics: compensation backlog unavailable", {
        error: e instanceof Error ? e.message : String(e),
      });
    }
  } else {
    compensationBacklog.set(0);
  }
  return await registry.metrics();
}
