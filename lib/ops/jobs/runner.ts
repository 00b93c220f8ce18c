/**
 * Running the jobs of registry.ts: registered with `Deno.cron` at boot by every process of a
 * deployment (main.ts calls `registerCronJobs` when JOBS is on) and runnable on demand through
 * `POST /api/admin/jobs/{name}/run`.
 *
 * Every run first takes the job's Redis lease (lib/platform/leases.ts), so across all instances
 * one run of a job works at a time; the others answer "skipped: lease taken". Each run is
 * recorded in `job_runs` (the last RUNS_KEPT per job), counted in `boxoffice_job_runs_total` and
 * logged in one line.
 *
 * ```ts
 * const result = await runJob(ctx, "expire-orders");
 * result.outcome; // "ok" | "failed" | "skipped"
 * result.counts; // { due: 3, expired: 3, failed: 0 }
 * ```
 */
import type { AppContext } from "#lib/platform/context.ts";
import { AppError } from "#lib/platform/errors.ts";
import { acquireLease } from "#lib/platform/leases.ts";
import { errorFields } from "#lib/platform/log.ts";
import { recordJobRun } from "#lib/platform/metrics.ts";
import type { JobRunResult } from "./job.ts";
import { findJob, JOBS } from "./registry.ts";

/** job_runs rows kept per job: runs that got the lease, and skips. */
const RUNS_KEPT = 50;
const SKIPS_KEPT = 10;

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
