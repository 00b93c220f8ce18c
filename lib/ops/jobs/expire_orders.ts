/**
 * expire-orders: unpaid orders past expire_at become EXPIRED, their tickets and seats released.
 * Oldest first, EXPIRE_BATCH per run: enough to keep up with a flash sale's expiries, small enough
 * to stay quick.
 */
import type { AppContext } from "#lib/platform/context.ts";
import { errorFields } from "#lib/platform/log.ts";
import { expireOrder } from "#lib/orders/lifecycle.ts";
import { ORDER_STATUS } from "#lib/orders/status.ts";
import type { JobCounts } from "./job.ts";

const EXPIRE_BATCH = 500;

export async function expireOrders(ctx: AppContext, signal: AbortSignal): Promise<JobCounts> {
  const due = await ctx.db.rows<{ order_no: string }>(
    `SELECT order_no FROM orders WHERE status = ${ORDER_STATUS.PENDING_PAYMENT} AND expire_at <= ?
      ORDER BY expire_at LIMIT ?`,
    [new Date(ctx.now()), EXPIRE_BATCH],
  );
  const counts = { due: due.length, expired: 0, failed: 0 };
  for (const o of due) {
    if (signal.aborted) break;
    try {
      if (await expireOrder(ctx, o.order_no)) counts.expired++;
    } catch (e) {
      // One order's failure (a lock wait, a dropped connection) must not stop the others; it
      // is still due and the next run takes it again.
      counts.failed++;
      ctx.log.warn("order expiry failed", { orderNo: o.order_no, ...errorFields(e) });
    }
  }
  return counts;
}
