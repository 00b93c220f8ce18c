/**
 * expire-orders: unpaid orders past expire_at become EXPIRED, their tickets and seats released.
 * One run drains the backlog: batches of EXPIRE_BATCH in a loop until none is due or the run's
 * time budget is spent (the lease is renewed meanwhile by the runner), EXPIRE_WORKERS orders at
 * a time. Each batch takes every tier's oldest due orders before any tier's next ones, oldest
 * first within a tier: a flash sale's thousands of leftovers never make another tier's expiry
 * wait behind them, and whatever is left after the budget is the next run's, oldest first.
 */
import type { AppContext } from "#lib/platform/context.ts";
import { errorFields } from "#lib/platform/log.ts";
import { expireOrder } from "#lib/orders/lifecycle.ts";
import { ORDER_STATUS } from "#lib/orders/status.ts";
import type { JobCounts } from "./job.ts";

export const EXPIRE_BATCH = 500;
/** Orders expired at once: MySQL transactions in parallel, short of the pool's size. */
const EXPIRE_WORKERS = 8;
/** A run stops taking batches after this, well inside the minute between two runs. */
export const EXPIRE_BUDGET_MS = 40_000;

export async function expireOrders(ctx: AppContext, signal: AbortSignal): Promise<JobCounts> {
  const counts = { due: 0, expired: 0, failed: 0 };
  const started = Date.now();
  // An order that failed this run is not taken again by it (it is still due next run).
  const failed = new Set<string>();
  while (!signal.aborted && Date.now() - started < EXPIRE_BUDGET_MS) {
    const due = (await dueOrders(ctx)).filter((no) => !failed.has(no));
    if (due.length === 0) break;
    counts.due += due.length;
    let next = 0;
    const worker = async () => {
      while (next < due.length && !signal.aborted) {
        const orderNo = due[next++];
        try {
          if (await expireOrder(ctx, orderNo)) counts.expired++;
        } catch (e) {
          // One order's failure (a lock wait, a dropped connection) must not stop the others.
          counts.failed++;
          failed.add(orderNo);
          ctx.log.warn("order expiry failed", { orderNo, ...errorFields(e) });
        }
      }
    };
    await Promise.all(Array.from({ length: EXPIRE_WORKERS }, worker));
    if (due.length < EXPIRE_BATCH && failed.size === 0) break;
    if (failed.size >= EXPIRE_BATCH) break;
  }
  return counts;
}

/**
 * The next batch of due orders: each tier's oldest first (rank 1 of every tier, then rank 2,
 * ...), so no tier waits behind another's backlog.
 */
async function dueOrders(ctx: AppContext): Promise<string[]> {
  const rows = await ctx.db.rows<{ order_no: string }>(
    `SELECT order_no FROM (
       SELECT order_no, expire_at,
              ROW_NUMBER() OVER (PARTITION BY ticket_id ORDER BY expire_at, id) AS turn
         FROM orders
        WHERE status = ${ORDER_STATUS.PENDING_PAYMENT} AND expire_at <= ?
     ) due
     ORDER BY turn, expire_at LIMIT ?`,
    [new Date(ctx.now()), EXPIRE_BATCH],
  );
  return rows.map((r) => r.order_no);
}
