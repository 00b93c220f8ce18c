/**
 * The reference's stock consistency pages (`/api/consistency/stock/*`): one tier, or every
 * active session, compared between Redis and MySQL with the same checks as
 * `/api/admin/consistency` (lib/ops/reconcile.ts), and repaired toward MySQL.
 *
 * A tier's sale state lives in its session's state, which is rebuilt as a whole: checking a
 * tier reports its counters side by side and every difference of its session that is not
 * about another tier; repairing it rebuilds its session from MySQL.
 */
import type { AppContext } from "#lib/platform/context.ts";
import { notFound } from "#lib/platform/errors.ts";
import { invalidateSession, rebuildSession } from "#lib/sale/session_rebuild.ts";
import { readTierCounters } from "#lib/sale/stock_gate.ts";
import { compareSession, type Difference, reconcile, type ReconcileReport } from "./reconcile.ts";

interface Counters {
  total: number;
  locked: number;
  sold: number;
  available: number;
}

export interface TierConsistency {
  ticketId: number;
  sessionId: number;
  /** Redis holds this session's state (else it is rebuilt from MySQL on first use). */
  built: boolean;
  consistent: boolean;
  mysql: Counters;
  redis: Counters | null;
  differences: Difference[];
  /** Only from a repair: the session was rebuilt from MySQL. */
  repaired?: boolean;
}

const TIER_KINDS = new Set(["tier", "tier-missing", "buyers"]);

export async function checkTier(ctx: AppContext, ticketId: number): Promise<TierConsistency> {
  const [row] = await ctx.db.rows<
    { session_id: number; total: number; locked: number; sold: number }
  >(
    `SELECT t.session_id, st.total_stock AS total, st.locked_stock AS locked,
            st.sold_stock AS sold
       FROM tickets t JOIN ticket_stock st ON st.ticket_id = t.id WHERE t.id = ?`,
    [ticketId],
  );
  if (!row) throw notFound(`ticket ${ticketId}`);
  const sessionId = row.session_id;
  const found = await compareSession(ctx, sessionId);
  const differences = (found ?? []).filter((d) =>
    !TIER_KINDS.has(d.kind) || d.key === String(ticketId)
  );
  const r = found === null ? null : await readTierCounters(ctx, sessionId, ticketId);
  const counters = (c: { total: number; locked: number; sold: number }) => ({
    total: Number(c.total),
    locked: Number(c.locked),
    sold: Number(c.sold),
    available: Number(c.total) - Number(c.locked) - Number(c.sold),
  });
  return {
    ticketId,
    sessionId,
    built: found !== null,
    consistent: differences.length === 0,
    mysql: counters(row),
    redis: r ? counters(r) : null,
    differences,
  };
}

/** Rebuilds the tier's session from MySQL when it differs (or is not built), then re-checks. */
export async function repairTier(ctx: AppContext, ticketId: number): Promise<TierConsistency> {
  const before = await checkTier(ctx, ticketId);
  if (before.built && before.consistent) return { ...before, repaired: false };
  await invalidateSession(ctx, before.sessionId);
  await rebuildSession(ctx, before.sessionId);
  return { ...await checkTier(ctx, ticketId), repaired: true };
}

export type AllTiersConsistency = ReconcileReport & { consistent: boolean };

/** Every active session, as GET /api/admin/consistency (with `repair`, as its repair). */
export async function checkAllTiers(
  ctx: AppContext,
  repair: boolean,
): Promise<AllTiersConsistency> {
  const report = await reconcile(ctx, { repair });
  const remaining = repair ? report.repaired!.remaining : report.differences;
  return { ...report, consistent: remaining.length === 0 };
}
