/**
 * What the jobs have done (`GET /api/admin/jobs`): each job's latest run and latest skip, and the
 * compensations stuck for a human.
 */
import type { AppContext } from "#lib/platform/context.ts";
import type { JobCounts, JobOutcome } from "./job.ts";
import { JOBS } from "./registry.ts";

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
