/**
 * low-stock: a warning in the log for every tier of a session not over whose available stock is
 * below LOW_STOCK_RATIO of its total (at most LOW_STOCK_BATCH tiers a run).
 */
import type { AppContext } from "#lib/platform/context.ts";
import type { JobCounts } from "./job.ts";

const LOW_STOCK_BATCH = 200;

export async function lowStock(ctx: AppContext): Promise<JobCounts> {
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
