/**
 * The background jobs of DESIGN.md "Jobs": name, schedule (UTC cron) and what one run does. Every
 * job is idempotent (running it twice, or after a crash half-way, changes nothing more) and
 * bounded (at most a batch of rows per run; what is left waits for the next run). runner.ts runs
 * them under their lease.
 */
import { notFound } from "#lib/platform/errors.ts";
import { expireOrders } from "./expire_orders.ts";
import type { Job } from "./job.ts";
import { lowStock } from "./low_stock.ts";
import { prunePastHours } from "./prune_past_hours.ts";
import { reconcileJob } from "./reconcile.ts";
import { releaseHolds } from "./release_holds.ts";
import { retryCompensationsJob } from "./retry_compensations.ts";

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
    name: "prune-past-hours",
    schedule: "*/5 * * * *",
    description: "seat-hours of bookings that are over leave seat_claims and the Redis claims",
    run: prunePastHours,
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
