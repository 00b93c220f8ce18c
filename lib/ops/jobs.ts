/**
 * The background jobs of DESIGN.md "Jobs", registered with `Deno.cron` at boot by every process
 * of a deployment (main.ts calls `registerCronJobs` when JOBS is on) and runnable on demand
 * through `POST /api/admin/jobs/{name}/run`.
 *
 * Every run first takes the job's Redis lease (lib/platform/leases.ts), so across all instances one run
 * of a job works at a time; the others answer "skipped: lease taken". Every job is idempotent
 * (running it twice, or after a crash half-way, changes nothing more) and bounded (at most a batch
 * of rows per run; what is left waits for the next run). Each run is recorded in `job_runs`
 * (the last RUNS_KEPT per job), counted in `boxoffice_job_runs_total` and logged in one line.
 *
 * ```ts
 * const result = await runJob(ctx, "expire-orders");
 * result.outcome; // "ok" | "failed" | "skipped"
 * result.counts; // { due: 3, expired: 3, failed: 0 }
 * ```
 */
import { sweepExpiredHolds } from "#lib/seating/sweeps.ts";
import { compensationBacklog, retryCompensations } from "#lib/orders/compensations.ts";
import type { AppContext } from "#lib/platform/context.ts";
import { AppError, notFound } from "#lib/platform/errors.ts";
import { acquireLease } from "#lib/platform/leases.ts";
import { errorFields } from "#lib/platform/log.ts";
import { recordJobRun } from "#lib/platform/metrics.ts";
import { expireOrder } from "#lib/orders/lifecycle.ts";
import { ORDER_STATUS } from "#lib/orders/status.ts";
import { reconcile } from "./reconcile.ts";

export type JobCounts = Record<string, number>;

export interface Job {
  name: string;
  /** Cron expression (UTC), as Deno.cron takes it. */
  schedule: string;
  description: string;
  /** One bounded, idempotent pass. `signal` aborts when the lease was lost: stop early. */
  run(ctx: AppContext, signal: AbortSignal): Promise<JobCounts>;
}

export type JobOutcome = "ok" | "failed" | "skipped";

export interface JobRunResult {
  job: string;
  outcome: JobOutcome;
  /** Why a run was skipped ("lease taken"). */
  reason?: string;
  startedAt: Date;
  finishedAt: Date;
  counts: JobCounts;
  error?: string;
  instance: string;
}

/** Rows per run: enough to keep up with a flash sale's expiries, small enough to stay quick. */
const EXPIRE_BATCH = 500;
const HOLD_SWEEP_BATCH = 1000;
/** Sessions the scheduled reconcile looks at per run; the next run continues after them. */
const RECONCILE_SESSIONS_PER_RUN = 200;
const COMPENSATION_BATCH = 100;
const LOW_STOCK_BATCH = 200;
/** job_runs rows kept per job: runs that got the lease, and skips. */
const RUNS_KEPT = 50;
const SKIPS_KEPT = 10;

// ------------------------------------------------------------------ the jobs

async function expireOrders(ctx: AppContext, signal: AbortSignal): Promise<JobCounts> {
  const due = await ctx.db.rows<{ order_no: string }>(
    `SELECT order_no FROM orders WHERE status = ${ORDER_STATUS.PENDING_PAYMENT} AND expire_at <= ?
      ORDER BY expire_at LIMIT ?`,
    [new Date(ctx.now()), EXPIRE_BATCH],
  );
  const counts = { due: due.length, expired: 0, failed: 0 };
  for (const o of due) {
    if (signal.aborted) break;
    try {
      if (await expireOrder(ctx, o.order_no)) counts.expired++;
    } catch (e) {
      // One order's failure (a lock wait, a dropped connection) must not stop the others; it
      // is still due and the next run takes it again.
      counts.failed++;
      ctx.log.warn("order expiry failed", { orderNo: o.order_no, ...errorFields(e) });
    }
  }
  return counts;
}

async function releaseHolds(ctx: AppContext): Promise<JobCounts> {
  return await sweepExpiredHolds(ctx, HOLD_SWEEP_BATCH);
}

async function reconcileJob(ctx: AppContext): Promise<JobCounts> {
  const key = ctx.keys.reconcileCursor;
  const after = Number(await ctx.redis.send<string | null>(["GET", key], key) ?? 0) || 0;
  const report = await reconcile(ctx, {
    repair: true,
    after,
    maxSessions: RECONCILE_SESSIONS_PER_RUN,
  });
  // Only the lease holder writes the cursor; a lost cursor just starts over from the first.
  if (report.nextAfter) await ctx.redis.send(["SET", key, String(report.nextAfter)], key);
  else await ctx.redis.send(["DEL", key], key);
  const r = report.repaired!;
  return {
    sessions: report.sessions,
    notBuilt: report.notBuilt.length,
    differences: report.differences.length,
    rebuilt: r.rebuilt.length,
    released: r.released.length,
    holdsDeleted: r.holdsDeleted,
    remaining: r.remaining.length,
  };
}

async function retryCompensationsJob(ctx: AppContext): Promise<JobCounts> {
  const outcome = await retryCompensations(ctx, COMPENSATION_BATCH);
  const backlog = await compensationBacklog(ctx);
  return { ...outcome, pending: backlog.pending, stuckTotal: backlog.stuck };
}

async function lowStock(ctx: AppContext): Promise<JobCounts> {
  const low = await ctx.db.rows<
    { ticket_id: number; session_id: number; name: string; total: number; available: number }
  >(
    `SELECT t.id AS ticket_id, t.session_id, t.name, st.total_stock AS total,
            CAST(st.total_stock - st.locked_stock - st.sold_stock AS SIGNED) AS available
       FROM tickets t
       JOIN ticket_stock st ON st.ticket_id = t.id
       JOIN sessions s ON s.id = t.session_id
      WHERE s.end_time > ?
        AND st.total_stock - st.locked_stock - st.sold_stock > 0
        AND st.total_stock - st.locked_stock - st.sold_stock < ? * st.total_stock
      ORDER BY t.id LIMIT ?`,
    [new Date(ctx.now()), ctx.config.lowStockRatio, LOW_STOCK_BATCH],
  );
  for (const t of low) {
    ctx.log.warn("low stock", {
      ticketId: t.ticket_id,
      sessionId: t.session_id,
      tier: t.name,
      available: Number(t.available),
      total: t.total,
    });
  }
  return { low: low.length };
}

export const JOBS: readonly Job[] = [
  {
    name: "expire-orders",
    schedule: "* * * * *",
    description: "unpaid orders past expire_at → EXPIRED, their tickets and seats released",
    run: expireOrders,
  },
  {
    name: "release-holds",
    schedule: "* * * * *",
    description: "sweep expired seat holds out of Redis structures",
    run: releaseHolds,
  },
  {
    name: "reconcile",
    schedule: "*/5 * * * *",
    description: "compare active sessions' Redis state with MySQL and repair toward MySQL",
    run: reconcileJob,
  },
  {
    name: "retry-compensations",
    schedule: "* * * * *",
    description: "retry Redis steps that failed after MySQL committed; mark stuck ones",
    run: retryCompensationsJob,
  },
  {
    name: "low-stock",
    schedule: "*/5 * * * *",
    description: "warn about tiers whose available stock is below LOW_STOCK_RATIO",
    run: lowStock,
  },
];

export function findJob(name: string): Job {
  const job = JOBS.find((j) => j.name === name);
  if (!job) throw notFound(`job ${name}`);
  return job;
}

// ------------------------------------------------------------------ running

let instanceId: string | undefined;

/** host:pid of this process, to tell instances apart in job_runs. */
export function instance(): string {
  if (instanceId) return instanceId;
  let host = "unknown";
  try {
    host = Deno.hostname();
  } catch {
    // No --allow-sys: the pid still tells processes on one host apart.
  }
  return instanceId = `${host}:${Deno.pid}`;
}

/**
 * Runs one job now under its lease and reports how it went. Never throws for the job's own
 * failure (that is outcome "failed"); throws NOT_FOUND for an unknown job.
 */
export async function runJob(
  ctx: AppContext,
  name: string,
  trigger: "cron" | "admin" = "admin",
): Promise<JobRunResult> {
  const job = findJob(name);
  const startedAt = new Date(ctx.now());
  const base = { job: job.name, startedAt, instance: instance(), counts: {} };
  let lease;
  try {
    lease = await acquireLease(ctx, ctx.keys.jobLease(job.name), ctx.config.jobLeaseSeconds * 1000);
  } catch (e) {
    return finish(ctx, trigger, {
      ...base,
      outcome: "failed",
      finishedAt: new Date(ctx.now()),
      error: describe(e),
    }, undefined);
  }
  if (!lease) {
    return finish(ctx, trigger, {
      ...base,
      outcome: "skipped",
      reason: "lease taken",
      finishedAt: new Date(ctx.now()),
    }, undefined);
  }
  try {
    const runId = await recordStart(ctx, job.name, startedAt);
    let result: JobRunResult;
    try {
      const counts = await job.run(ctx, lease.signal);
      const failed = counts.failed ?? 0;
      result = {
        ...base,
        counts,
        outcome: failed > 0 ? "failed" : "ok",
        finishedAt: new Date(ctx.now()),
        ...(failed > 0 ? { error: `${failed} items failed; they are retried next run` } : {}),
      };
    } catch (e) {
      result = { ...base, outcome: "failed", finishedAt: new Date(ctx.now()), error: describe(e) };
    }
    return await finish(ctx, trigger, result, runId);
  } finally {
    await lease.release();
  }
}

async function recordStart(
  ctx: AppContext,
  job: string,
  startedAt: Date,
): Promise<number | undefined> {
  try {
    const { insertId } = await ctx.db.exec(
      "INSERT INTO job_runs (job, instance, started_at, outcome) VALUES (?, ?, ?, 'running')",
      [job, instance(), startedAt],
    );
    return insertId;
  } catch (e) {
    // The record is for people; the job itself (e.g. a Redis repair) may still do its work.
    ctx.log.warn("job run not recorded", { job, ...errorFields(e) });
    return undefined;
  }
}

async function finish(
  ctx: AppContext,
  trigger: "cron" | "admin",
  result: JobRunResult,
  runId: number | undefined,
): Promise<JobRunResult> {
  recordJobRun(result.job, result.outcome);
  const fields = {
    job: result.job,
    trigger,
    outcome: result.outcome,
    ms: result.finishedAt.getTime() - result.startedAt.getTime(),
    counts: result.counts,
    ...(result.reason ? { reason: result.reason } : {}),
    ...(result.error ? { error: result.error } : {}),
  };
  if (result.outcome === "failed") ctx.log.error("job run", fields);
  else ctx.log.info("job run", fields);
  try {
    if (runId !== undefined) {
      await ctx.db.exec(
        "UPDATE job_runs SET finished_at = ?, outcome = ?, counts = ?, error = ? WHERE id = ?",
        [
          result.finishedAt,
          result.outcome,
          JSON.stringify(result.counts),
          result.error ?? null,
          runId,
        ],
      );
    } else if (result.outcome === "skipped") {
      await ctx.db.exec(
        `INSERT INTO job_runs (job, instance, started_at, finished_at, outcome, counts)
         VALUES (?, ?, ?, ?, 'skipped', '{}')`,
        [result.job, result.instance, result.startedAt, result.finishedAt],
      );
    }
    await pruneRuns(ctx, result.job);
  } catch (e) {
    ctx.log.warn("job run not recorded", { job: result.job, ...errorFields(e) });
  }
  return result;
}

/**
 * Keeps the last RUNS_KEPT runs and SKIPS_KEPT skips of the job: the table stays small however
 * long we run, and a burst of skips (every instance, every minute) never pushes a real run out.
 */
async function pruneRuns(ctx: AppContext, job: string): Promise<void> {
  for (const [skipped, kept] of [[true, SKIPS_KEPT], [false, RUNS_KEPT]] as const) {
    const which = skipped ? "outcome = 'skipped'" : "outcome <> 'skipped'";
    const [edge] = await ctx.db.rows<{ id: number }>(
      `SELECT id FROM job_runs WHERE job = ? AND ${which} ORDER BY id DESC LIMIT 1 OFFSET ?`,
      [job, kept - 1],
    );
    if (edge) {
      await ctx.db.exec(`DELETE FROM job_runs WHERE job = ? AND ${which} AND id < ?`, [
        job,
        edge.id,
      ]);
    }
  }
}

// ------------------------------------------------------------------ reading

export interface JobRunRow {
  startedAt: Date;
  finishedAt: Date | null;
  outcome: "running" | JobOutcome;
  counts: JobCounts | null;
  error: string | null;
  instance: string;
}

export interface StuckCompensation {
  id: number;
  action: string;
  orderNo: string;
  sessionId: number;
  ticketId: number;
  attempts: number;
  lastError: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface JobsStatus {
  jobs: {
    name: string;
    schedule: string;
    description: string;
    /** The latest run that got the lease (running, ok or failed). */
    lastRun: JobRunRow | null;
    /** When an instance last found the lease taken. */
    lastSkippedAt: Date | null;
  }[];
  /** Compensations that failed COMPENSATION_MAX_ATTEMPTS times: a human must look. */
  stuckCompensations: StuckCompensation[];
}

const STUCK_LISTED = 100;

export async function jobsStatus(ctx: AppContext): Promise<JobsStatus> {
  const jobs = [];
  for (const job of JOBS) {
    const [last] = await ctx.db.rows<
      {
        started_at: Date;
        finished_at: Date | null;
        outcome: JobRunRow["outcome"];
        counts: string | null;
        error: string | null;
        instance: string;
      }
    >(
      `SELECT started_at, finished_at, outcome, counts, error, instance FROM job_runs
        WHERE job = ? AND outcome <> 'skipped' ORDER BY id DESC LIMIT 1`,
      [job.name],
    );
    const [skipped] = await ctx.db.rows<{ started_at: Date }>(
      `SELECT started_at FROM job_runs WHERE job = ? AND outcome = 'skipped'
        ORDER BY id DESC LIMIT 1`,
      [job.name],
    );
    jobs.push({
      name: job.name,
      schedule: job.schedule,
      description: job.description,
      lastRun: last
        ? {
          startedAt: last.started_at,
          finishedAt: last.finished_at,
          outcome: last.outcome,
          counts: last.counts ? JSON.parse(last.counts) : null,
          error: last.error,
          instance: last.instance,
        }
        : null,
      lastSkippedAt: skipped?.started_at ?? null,
    });
  }
  const stuck = await ctx.db.rows<
    {
      id: number;
      action: string;
      order_no: string;
      session_id: number;
      ticket_id: number;
      attempts: number;
      last_error: string | null;
      created_at: Date;
      updated_at: Date;
    }
  >(
    `SELECT id, action, order_no, session_id, ticket_id, attempts, last_error, created_at,
            updated_at
       FROM compensations WHERE status = 'stuck' ORDER BY id LIMIT ?`,
    [STUCK_LISTED],
  );
  return {
    jobs,
    stuckCompensations: stuck.map((c) => ({
      id: c.id,
      action: c.action,
      orderNo: c.order_no,
      sessionId: c.session_id,
      ticketId: c.ticket_id,
      attempts: c.attempts,
      lastError: c.last_error,
      createdAt: c.created_at,
      updatedAt: c.updated_at,
    })),
  };
}

/** The run as the admin API answers it: a skipped run is a 409 LEASE_TAKEN carrying the report. */
export async function runJobNow(ctx: AppContext, name: string): Promise<JobRunResult> {
  const result = await runJob(ctx, name, "admin");
  if (result.outcome === "skipped") {
    throw new AppError(
      "LEASE_TAKEN",
      `job ${name} is running elsewhere (lease taken); try again when it has finished`,
      { detail: result, retryAfter: 1 },
    );
  }
  return result;
}

// ------------------------------------------------------------------ scheduling

/**
 * Registers every job with Deno.cron (needs --unstable-cron; `deno task start` and the compiled
 * binary pass it). Called from main.ts only, when JOBS is on: tests run jobs through the admin
 * API and never register crons in the test process.
 */
export function registerCronJobs(ctx: AppContext): void {
  for (const job of JOBS) {
    Deno.cron(job.name, job.schedule, async () => {
      try {
        await runJob(ctx, job.name, "cron");
      } catch (e) {
        // runJob reports failures as outcomes; this is a bug, and the next tick runs again.
        ctx.log.error("job crashed", { job: job.name, ...errorFields(e) });
      }
    });
  }
  ctx.log.info("cron jobs registered", {
    jobs: JOBS.map((j) => `${j.name} (${j.schedule})`),
  });
}

function describe(e: unknown): string {
  return (e instanceof Error ? `${e.name}: ${e.message}` : String(e)).slice(0, 500);
}
