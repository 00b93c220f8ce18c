/**
 * The process's Prometheus metrics, served as text by `GET /metrics`. One registry per process
 * (tests build many apps in one process; they all count into it, so tests compare deltas).
 * Domain code records events through the small functions below and never sees the registry
 * (./prometheus.ts):
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
import type { AppContext } from "./context.ts";
import {
  bucketIndex,
  Counter,
  Gauge,
  Histogram,
  histogramSamples,
  PROMETHEUS_CONTENT_TYPE,
  Registry,
  type Sample,
} from "./prometheus.ts";

const registry = new Registry();

/** Latency buckets (seconds) for HTTP requests: a flash sale answers in ms, a slow DB in s. */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Redis scripts run in well under a millisecond when healthy. */
const SCRIPT_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

// The two HTTP series of every request share one record per method and route: one Map lookup
// by a key made once per request, the status counted in a small map of its own.
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

registry.register({
  name: "http_requests_total",
  help: "HTTP requests answered, by method, route template and status",
  type: "counter",
  collect: () =>
    [...httpSeries.values()].flatMap((s) =>
      [...s.byStatus].map(([status, value]) => ({
        value,
        labels: { method: s.method, route: s.route, status: String(status) },
      }))
    ),
});

registry.register({
  name: "http_request_duration_seconds",
  help: "Time from receiving a request to its reply, by method and route template",
  type: "histogram",
  collect: () =>
    [...httpSeries.values()].flatMap((s) =>
      histogramSamples(
        "http_request_duration_seconds",
        HTTP_BUCKETS,
        { method: s.method, route: s.route },
        s.buckets,
        s.sum,
        s.count,
      )
    ),
});

export type OrderEvent = "created" | "paid" | "cancelled" | "expired";

const orders = registry.register(
  new Counter(
    "boxoffice_orders_total",
    "Order lifecycle events: created, paid, cancelled, expired",
    ["event"],
  ),
);

const soldOut = registry.register(
  new Counter(
    "boxoffice_sold_out_rejections_total",
    "Order attempts refused because the tier had no stock left",
  ),
);

const seatHolds = registry.register(
  new Counter(
    "boxoffice_seat_holds_total",
    "Seat hold attempts by outcome (held, taken, released, expired, ...)",
    ["outcome"],
  ),
);

const scriptSeconds = registry.register(
  new Histogram(
    "boxoffice_redis_script_seconds",
    "Latency of the Redis Lua scripts (EVALSHA, and EVAL after NOSCRIPT), by script",
    SCRIPT_BUCKETS,
    ["script"],
  ),
);

const orderBatchSize = registry.register(
  new Histogram(
    "boxoffice_order_batch_size",
    "Creates per group-commit transaction (ORDER_BATCH), a split batch counted per part",
    [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000],
  ),
);

const deadlockRetries = registry.register(
  new Counter(
    "boxoffice_order_deadlock_retries_total",
    "Order transactions sent again after InnoDB rolled them back as a deadlock's victim",
  ),
);

const jobRuns = registry.register(
  new Counter(
    "boxoffice_job_runs_total",
    "Background job runs by job name and outcome (ok, failed, skipped)",
    ["job", "outcome"],
  ),
);

const dbPool = registry.register(
  new Gauge(
    "boxoffice_db_pool_connections",
    "MySQL pool connections: in_use, idle, and requests waiting for one",
    ["state"],
  ),
);

const compensationBacklog = registry.register(
  new Gauge(
    "boxoffice_compensation_backlog",
    "Compensation records not yet applied (Redis/MySQL repairs waiting for a retry)",
  ),
);

const queueWaiting = registry.register(
  new Gauge(
    "boxoffice_queue_waiting",
    "Buyers waiting in a session's waiting room, as of this process's last admission step",
    ["session"],
  ),
);

const queuePasses = registry.register(
  new Gauge(
    "boxoffice_queue_passes_active",
    "Unexpired passes of a session's waiting room, as of this process's last admission step",
    ["session"],
  ),
);

const queueAdmitted = registry.register(
  new Counter(
    "boxoffice_queue_admitted_total",
    "Buyers admitted from a waiting room by this process's admission steps (rate() = per s)",
    ["session"],
  ),
);

const shedRequests = registry.register(
  new Counter(
    "boxoffice_shed_requests_total",
    "Requests answered 503 at once because MAX_IN_FLIGHT requests were in flight",
  ),
);

// No process metrics (memory, event-loop lag): those come from Deno's OpenTelemetry metrics.

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
  s.buckets[bucketIndex(HTTP_BUCKETS, seconds)]++;
  s.sum += seconds;
  s.count++;
}

/** An order was created, paid, cancelled (by the buyer or an admin) or expired unpaid. */
export function recordOrderEvent(event: OrderEvent, count = 1): void {
  orders.inc([event], count);
}

/** An order attempt was refused with SOLD_OUT. */
export function recordSoldOut(): void {
  soldOut.inc();
}

/** A seat hold attempt and how it ended: e.g. `held`, `taken`, `released`, `expired`. */
export function recordSeatHold(outcome: string, count = 1): void {
  seatHolds.inc([outcome], count);
}

/** One group-commit transaction of `size` creates was sent. */
export function recordOrderBatch(size: number): void {
  orderBatchSize.observe([], size);
}

/** An order transaction was sent again after being a deadlock's victim. */
export function recordDeadlockRetry(): void {
  deadlockRetries.inc();
}

/** One run of a background job: `ok`, `failed`, or `skipped` (another instance had the lock). */
export function recordJobRun(job: string, outcome: "ok" | "failed" | "skipped"): void {
  jobRuns.inc([job, outcome]);
}

/** One admission step of a waiting room: what it admitted and the room's size after it. */
export function recordQueueStep(
  sessionId: number,
  step: { admitted: number; waiting: number; passesActive: number },
): void {
  const session = String(sessionId);
  if (step.admitted > 0) queueAdmitted.inc([session], step.admitted);
  queueWaiting.set([session], step.waiting);
  queuePasses.set([session], step.passesActive);
}

/** A request refused with 503 because the process had MAX_IN_FLIGHT requests in flight. */
export function recordShedRequest(): void {
  shedRequests.inc();
}

/** How long one Redis script call took. lib/platform/scripts.ts calls this for every `run`. */
export function recordScriptSeconds(script: string, seconds: number): void {
  scriptSeconds.observe([script], seconds);
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
export type MetricSample = Sample;

/** The current samples of one metric of this process (e.g. for a dashboard); [] if unknown. */
export function metricSamples(name: string): Promise<MetricSample[]> {
  return Promise.resolve(registry.get(name)?.collect() ?? []);
}

// ------------------------------------------------------------------ exposition

/** The media type of `metricsText`. */
export const METRICS_CONTENT_TYPE = PROMETHEUS_CONTENT_TYPE;

/**
 * The whole registry in Prometheus text format. Gauges that read a store (the pool, the
 * compensation backlog) are refreshed from `ctx` first; a failing source leaves its gauge out
 * of date rather than failing the scrape.
 */
export async function metricsText(ctx: AppContext): Promise<string> {
  const pool = ctx.db.poolStats();
  dbPool.set(["in_use"], pool.inUse);
  dbPool.set(["idle"], pool.idle);
  dbPool.set(["waiting"], pool.waiting);
  if (backlogSource) {
    try {
      compensationBacklog.set([], await backlogSource(ctx));
    } catch (e) {
      ctx.log.warn("metrics: compensation backlog unavailable", {
        error: e instanceof Error ? e.message : String(e),
      });
    }
  } else {
    compensationBacklog.set([], 0);
  }
  return registry.text();
}
