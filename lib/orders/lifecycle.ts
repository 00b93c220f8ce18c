/**
 * An order's life after its create, MySQL first, then Redis:
 * pay     one MySQL transaction in one round trip (PENDING_PAYMENT → PAID unless expired, locked
 *         → sold), then the confirm script. Paying again answers the same.
 * cancel  MySQL first (→ CANCELLED, stock unlocked, seats freed), then the release script.
 *         Idempotent.
 * expire  the same as cancel, for unpaid orders past expire_at (→ EXPIRED).
 * A Redis step that fails after MySQL committed becomes a compensation record (retried later).
 */
import type { AppContext } from "#lib/platform/context.ts";
import type { Queryable, SqlValue, Transaction } from "#lib/platform/db.ts";
import { AppError, notFound } from "#lib/platform/errors.ts";
import { recordOrderEvent } from "#lib/platform/metrics.ts";
import { confirmOrCompensate, releaseOrCompensate } from "./compensations.ts";
import { orderRefColumn } from "./order_numbers.ts";
import { ORDER_STATUS, type OrderStatus } from "./status.ts";

const { PENDING_PAYMENT: PENDING, PAID } = ORDER_STATUS;

interface OrderRow {
  id: number;
  order_no: string;
  user_id: number;
  session_id: number;
  ticket_id: number;
  quantity: number;
  status: number;
  expire_at: Date;
  booking_start: Date | null;
}

const ORDER_STATE_SELECT = `SELECT id, order_no, user_id, session_id, ticket_id, quantity, status,
                                   expire_at, booking_start FROM orders`;

/** `ref` is the order number or the numeric id; another buyer's order is not found. */
async function findOwnOrder(
  db: Queryable,
  userId: number | null,
  ref: string,
  forUpdate = false,
): Promise<OrderRow> {
  const column = orderRefColumn(ref);
  const [row] = await db.rows<OrderRow>(
    `${ORDER_STATE_SELECT} WHERE ${column} = ?
       ${userId === null ? "" : "AND user_id = ?"} ${forUpdate ? "FOR UPDATE" : ""}`,
    userId === null ? [ref] : [ref, userId],
  );
  if (!row) throw notFound(`order ${ref}`);
  return row;
}

/** Stock counted in the tier for this order (hourly bookings count seat-hours, not stock). */
const stockQuantity = (o: OrderRow) => o.booking_start === null ? o.quantity : 0;

const refOf = (o: OrderRow) => ({
  orderNo: o.order_no,
  sessionId: o.session_id,
  ticketId: o.ticket_id,
  userId: o.user_id,
});

export async function payOrder(
  ctx: AppContext,
  userId: number,
  ref: string,
  payType: number,
): Promise<true> {
  const order = await findOwnOrder(ctx.db, userId, ref);
  if (order.status === ORDER_STATUS.PAID) return true;
  refuseUnpayable(order, ctx.now());
  const now = new Date(ctx.now());
  // One round trip: each statement after the first runs only if the one before it changed a row
  // (ROW_COUNT()), so a pay that lost a race to a cancel or the expiry job logs and moves nothing.
  // The tier's row last, locked only until the COMMIT that comes with it.
  const q = stockQuantity(order);
  const [updated, , stock] = await ctx.db.atomic([
    {
      sql: `UPDATE orders SET status = ${PAID}, pay_type = ?, pay_time = ?
             WHERE id = ? AND status = ${PENDING} AND expire_at > ?`,
      params: [payType, now, order.id, now],
    },
    {
      sql: `INSERT INTO order_status_log (order_id, from_status, to_status, reason)
            SELECT ?, ?, ?, 'paid' FROM DUAL WHERE ROW_COUNT() = 1`,
      params: [order.id, PENDING, PAID],
    },
    ...(q > 0
      ? [{
        sql: `UPDATE ticket_stock SET locked_stock = locked_stock - ?, sold_stock = sold_stock + ?,
                     version = version + 1
               WHERE ticket_id = ? AND ROW_COUNT() = 1`,
        params: [q, q, order.ticket_id],
      }]
      : []),
  ]);
  const paid = updated.affectedRows === 1;
  if (paid && q > 0) requireStockMoved(stock.affectedRows, order.ticket_id);
  if (!paid) {
    // Someone else moved it first (a concurrent pay, cancel or the expiry job): answer as of now.
    const current = await findOwnOrder(ctx.db, userId, ref);
    if (current.status === ORDER_STATUS.PAID) return true;
    refuseUnpayable({ ...current, status: current.status }, ctx.now(), true);
  }
  recordOrderEvent("paid");
  await confirmOrCompensate(ctx, refOf(order));
  return true;
}

function refuseUnpayable(order: OrderRow, now: number, raced = false): void {
  if (order.status === ORDER_STATUS.CANCELLED) {
    throw new AppError("ORDER_STATE", `order ${order.order_no} was cancelled`);
  }
  if (order.status === ORDER_STATUS.EXPIRED || order.expire_at.getTime() <= now || raced) {
    throw new AppError("ORDER_EXPIRED", `order ${order.order_no} expired unpaid`);
  }
  if (order.status !== ORDER_STATUS.PENDING_PAYMENT) {
    throw new AppError("ORDER_STATE", `order ${order.order_no} cannot be paid`);
  }
}

/** Cancels an unpaid order of the buyer. Cancelling again (or an expired one) answers true. */
export async function cancelOrder(ctx: AppContext, userId: number, ref: string): Promise<true> {
  const order = await findOwnOrder(ctx.db, userId, ref);
  if (order.status === ORDER_STATUS.CANCELLED || order.status === ORDER_STATUS.EXPIRED) return true;
  if (order.status !== ORDER_STATUS.PENDING_PAYMENT) {
    throw new AppError("ORDER_STATE", `order ${order.order_no} is paid: it cannot be cancelled`);
  }
  const done = await releaseOrder(ctx, order, ORDER_STATUS.CANCELLED, "cancelled by buyer");
  if (!done) {
    const current = await findOwnOrder(ctx.db, userId, ref);
    if (current.status === ORDER_STATUS.PAID) {
      throw new AppError("ORDER_STATE", `order ${order.order_no} is paid: it cannot be cancelled`);
    }
  }
  return true;
}

/** Expires one unpaid order past its expire_at. False when it was paid or released meanwhile. */
export async function expireOrder(ctx: AppContext, orderNo: string): Promise<boolean> {
  const order = await findOwnOrder(ctx.db, null, orderNo);
  if (order.status !== ORDER_STATUS.PENDING_PAYMENT) return false;
  return await releaseOrder(ctx, order, ORDER_STATUS.EXPIRED, "expired unpaid");
}

/** MySQL first (status, stock, seats, log in one transaction), then Redis. */
async function releaseOrder(
  ctx: AppContext,
  order: OrderRow,
  to: typeof ORDER_STATUS.CANCELLED | typeof ORDER_STATUS.EXPIRED,
  reason: string,
): Promise<boolean> {
  const now = new Date(ctx.now());
  const changed = await ctx.db.tx(async (tx) => {
    const { affectedRows } = await tx.exec(
      `UPDATE orders SET status = ? WHERE id = ? AND status = ${PENDING}
          ${to === ORDER_STATUS.EXPIRED ? "AND expire_at <= ?" : ""}`,
      to === ORDER_STATUS.EXPIRED ? [to, order.id, now] : [to, order.id],
    );
    if (affectedRows === 0) return false;
    await tx.exec("DELETE FROM seat_claims WHERE order_id = ?", [order.id]);
    await logTransition(tx, order.id, PENDING, to, reason);
    // The tier's rows last, as a create's transaction takes them (seat claims first, then the
    // buyer's total, then the stock), the stock's sent with the commit.
    const q = stockQuantity(order);
    if (q > 0) {
      // The buyer's total of the tier (MySQL's limit guard) before the stock: the lock order of
      // a create's transaction too.
      await tx.exec(
        `UPDATE buyer_tier_totals SET quantity = quantity - LEAST(quantity, ?)
          WHERE user_id = ? AND ticket_id = ?`,
        [q, order.user_id, order.ticket_id],
      );
      await moveStock(
        tx,
        `UPDATE ticket_stock SET locked_stock = locked_stock - ?, version = version + 1
          WHERE ticket_id = ?`,
        [q, order.ticket_id],
        order.ticket_id,
      );
    }
    return true;
  });
  if (changed) {
    recordOrderEvent(to === ORDER_STATUS.EXPIRED ? "expired" : "cancelled");
    await releaseOrCompensate(ctx, refOf(order));
  }
  return changed;
}

/**
 * The tier's stock moved by the transaction's last statement, sent with its COMMIT
 * (Transaction.execThenCommit): the hot row is never locked across a round trip to this
 * process. A tier with fewer tickets locked than the statement takes fails it (an UNSIGNED
 * column cannot go below 0: MySQL's "out of range" error, in every SQL mode), and nothing commits.
 */
async function moveStock(
  tx: Transaction,
  sql: string,
  params: SqlValue[],
  ticketId: number,
): Promise<void> {
  const { affectedRows } = await tx.execThenCommit(sql, params);
  requireStockMoved(affectedRows, ticketId);
}

/** After the COMMIT: a tier without its stock row is a broken catalog, reported loudly. */
function requireStockMoved(affectedRows: number, ticketId: number): void {
  if (affectedRows === 0) throw new Error(`tier ${ticketId} has no ticket_stock row`);
}

async function logTransition(
  tx: Queryable,
  orderId: number,
  from: OrderStatus,
  to: OrderStatus,
  reason: string,
) {
  await tx.exec(
    "INSERT INTO order_status_log (order_id, from_status, to_status, reason) VALUES (?, ?, ?, ?)",
    [orderId, from, to, reason],
  );
}
