/**
 * The order both SQL ceilings of `flashsale` write (flashsale_sql.ts one a transaction,
 * flashsale_batch_sql.ts many): one ticket of the job's tier, at its price, unpaid for the
 * service's default pay period — the row boxoffice's own create makes for such a buyer.
 */
import type { NewOrderRow } from "#lib/orders/statements.ts";
import type { SqlJob } from "./flashsale_sql.ts";

const PAY_PERIOD_MS = 900_000;

export function oneTicketOrder(
  job: SqlJob,
  userId: number,
  orderNo: string,
  now: number,
): NewOrderRow {
  return {
    orderNo,
    userId,
    showId: job.showId,
    sessionId: job.sessionId,
    ticketId: job.ticketId,
    quantity: 1,
    price: job.price,
    totalAmount: job.price,
    expireAt: new Date(now + PAY_PERIOD_MS),
    contactPhone: null,
    remark: null,
    idempotencyKey: crypto.randomUUID(),
    createdAt: new Date(now),
    items: [{ seatId: null, seatInfo: null, price: job.price, quantity: 1 }],
    slots: [],
    stockQuantity: 1,
    limitCount: job.limit,
  };
}
