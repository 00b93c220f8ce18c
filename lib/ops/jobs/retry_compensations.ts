/**
 * retry-compensations: Redis steps that failed after MySQL committed are retried; those that
 * failed too often are marked stuck for a human (lib/orders/compensations.ts).
 */
import type { AppContext } from "#lib/platform/context.ts";
import { compensationBacklog, retryCompensations } from "#lib/orders/compensations.ts";
import type { JobCounts } from "./job.ts";

const COMPENSATION_BATCH = 100;

export async function retryCompensationsJob(ctx: AppContext): Promise<JobCounts> {
  const outcome = await retryCompensations(ctx, COMPENSATION_BATCH);
  const backlog = await compensationBacklog(ctx);
  return { ...outcome, pending: backlog.pending, stuckTotal: backlog.stuck };
}
