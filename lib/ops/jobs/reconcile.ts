/**
 * reconcile: active sessions' Redis state compared with MySQL and repaired toward it
 * (lib/ops/reconcile.ts), RECONCILE_SESSIONS_PER_RUN sessions a run; the next run continues
 * after the last one looked at (a cursor in Redis).
 */
import type { AppContext } from "#lib/platform/context.ts";
import { reconcile } from "../reconcile.ts";
import type { JobCounts } from "./job.ts";

const RECONCILE_SESSIONS_PER_RUN = 200;

export async function reconcileJob(ctx: AppContext): Promise<JobCounts> {
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
