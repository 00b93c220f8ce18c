/**
 * A Redis lease: one holder at a time across every process of a deployment. Taken with
 * `SET key token NX PX ms` (a random token per holder), renewed while the holder works (only if
 * the token is still ours: lua/renew-lease.lua) and released by compare-and-delete
 * (lua/release-lock.lua), so a holder whose lease lapsed can neither extend nor delete the lease
 * another process took since. A holder that dies simply stops renewing: the lease lapses after
 * its lifetime and the next holder proceeds.
 *
 * ```ts
 * const lease = await acquireLease(ctx, ctx.keys.jobLease("reconcile"), 30_000);
 * if (!lease) return "someone else is running it";
 * try { await work(lease.signal); } finally { await lease.release(); }
 * ```
 */
import type { AppContext } from "./context.ts";
import { errorFields } from "./log.ts";

export interface Lease {
  key: string;
  token: string;
  /** Aborted when a renewal finds the lease no longer ours: stop writing, finish quickly. */
  signal: AbortSignal;
  /** Stops renewing and deletes the lease if it is still ours. Never throws. */
  release(): Promise<void>;
}

/** Takes the lease, or returns null when another holder has it. */
export async function acquireLease(
  ctx: AppContext,
  key: string,
  ttlMs: number,
): Promise<Lease | null> {
  const token = crypto.randomUUID();
  const got = await ctx.redis.send(["SET", key, token, "NX", "PX", String(ttlMs)], key);
  if (got !== "OK") return null;
  const lost = new AbortController();
  // Renew at a third of the lifetime, so one slow or failed renewal does not lose the lease.
  const timer = setInterval(async () => {
    try {
      const renewed = await ctx.scripts.run<number>("renew-lease", [key], [token, ttlMs]);
      if (renewed !== 1 && !lost.signal.aborted) {
        ctx.log.warn("lease lost", { key });
        lost.abort(new Error(`lease ${key} lapsed`));
      }
    } catch (e) {
      // Redis unreachable for a moment: the lease may still be ours; try again next tick.
      ctx.log.warn("lease renewal failed", { key, ...errorFields(e) });
    }
  }, Math.max(Math.floor(ttlMs / 3), 50));
  return {
    key,
    token,
    signal: lost.signal,
    async release() {
      clearInterval(timer);
      await ctx.scripts.run("release-lock", [key], [token]).catch(() => {});
    },
  };
}
