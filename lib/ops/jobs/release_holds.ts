/**
 * release-holds: hold keys lapse by their own TTL; this sweeps the stray ones (no TTL, or on
 * seats now in an order or disabled), at most HOLD_SWEEP_BATCH hold keys a run.
 */
import type { AppContext } from "#lib/platform/context.ts";
import { sweepExpiredHolds } from "#lib/seating/sweeps.ts";
import type { JobCounts } from "./job.ts";

const HOLD_SWEEP_BATCH = 1000;

export async function releaseHolds(ctx: AppContext): Promise<JobCounts> {
  return await sweepExpiredHolds(ctx, HOLD_SWEEP_BATCH);
}
