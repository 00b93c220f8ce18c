/** What a background job is, and what a run of one reports (see registry.ts, runner.ts). */
import type { AppContext } from "#lib/platform/context.ts";

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
