/**
 * applyPlan's orders. An order's transaction writes the order, its items and status log, and,
 * when it is unpaid or paid, its seat claims and its share of the tier's locked or sold stock,
 * so stock agrees with the orders at every commit.
 */
import type { Queryable } from "#lib/platform/db.ts";
import type { PlannedOrder } from "./plan.ts";
import { type ImportWriter, Refused, refuseDuplicate } from "./apply_writer.ts";
import type { SeatRef } from "./apply_areas.ts";

interface OrderIds {
  userId: number;
  showId: number;
  sessionId: number;
  ticketId: number;
  /** Per item: its seat, or null when sold without one. */
  seats: (SeatRef | null)[];
}

export async function applyOrders(
  w: ImportWriter,
  orders: PlannedOrder[],
  seatIds: Map<string, SeatRef>,
): Promise<void> {
  for (const o of orders) {
    const ids = orderIds(w, o, seatIds);
    if (typeof ids === "string") {
      w.missing("order", o.key, ids);
      continue;
    }
    await w.onceIn(ids.sessionId, "order", o.key, (tx) => insertOrder(tx, o, ids));
  }
}

/** The boxoffice ids an order refers to, or what of it was not imported. */
function orderIds(
  w: ImportWriter,
  o: PlannedOrder,
  seatIds: Map<string, SeatRef>,
): OrderIds | string {
  const userId = w.maps.user.get(o.userKey);
  const showId = w.maps.show.get(o.showKey);
  const sessionId = w.maps.session.get(o.sessionKey);
  const ticketId = w.maps.tier.get(o.tierKey);
  if (userId === undefined) return `its buyer (${o.userKey})`;
  if (showId === undefined || sessionId === undefined || ticketId === undefined) {
    return "its tier";
  }
  const seats = o.items.map((i) => i.seatKey === null ? null : seatIds.get(i.seatKey));
  if (seats.some((s) => s === undefined)) return "a seat of it";
  return { userId, showId, sessionId, ticketId, seats: seats as (SeatRef | null)[] };
}

async function insertOrder(tx: Queryable, o: PlannedOrder, ids: OrderIds): Promise<number> {
  const { insertId: orderId } = await tx.exec(
    `INSERT INTO orders (order_no, user_id, show_id, session_id, ticket_id, quantity, price,
                         total_amount, status, pay_type, pay_time, expire_at, contact_phone,
                         remark, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      o.orderNo,
      ids.userId,
      ids.showId,
      ids.sessionId,
      ids.ticketId,
      o.quantity,
      o.price,
      o.totalAmount,
      o.status,
      o.payType,
      o.payTime,
      o.expireAt,
      o.contactPhone,
      o.remark,
      o.createdAt,
    ],
  ).catch(refuseDuplicate(`order number ${o.orderNo} exists in boxoffice`));
  await insertItemsAndLog(tx, o, ids, orderId);
  if (o.status !== 0 && o.status !== 1) return orderId;
  await claimSeats(tx, ids, orderId);
  // MySQL's per-buyer total of the tier (migration 008), which creates check against the limit.
  // An imported buyer may hold more than the limit: they keep it, and buy no more.
  await tx.exec(
    `INSERT INTO buyer_tier_totals (user_id, ticket_id, quantity, limit_count) VALUES (?, ?, ?, ?)
     ON DUPLICATE KEY UPDATE quantity = quantity + VALUES(quantity),
                             limit_count = GREATEST(limit_count, quantity)`,
    [ids.userId, ids.ticketId, o.quantity, o.quantity],
  );
  await holdStock(tx, o, ids.ticketId);
  return orderId;
}

async function insertItemsAndLog(
  tx: Queryable,
  o: PlannedOrder,
  ids: OrderIds,
  orderId: number,
): Promise<void> {
  await tx.exec(
    `INSERT INTO order_items (order_id, ticket_id, seat_id, seat_info, price, quantity, subtotal)
     VALUES ${o.items.map(() => "(?, ?, ?, ?, ?, ?, ?)").join(", ")}`,
    o.items.flatMap((item, i) => [
      orderId,
      ids.ticketId,
      ids.seats[i]?.id ?? null,
      ids.seats[i]?.info ?? item.seatInfo,
      item.price,
      item.quantity,
      Math.round(item.price * item.quantity * 100) / 100,
    ]),
  );
  await tx.exec(
    `INSERT INTO order_status_log (order_id, from_status, to_status, reason, created_at)
     VALUES ${o.log.map(() => "(?, ?, ?, ?, ?)").join(", ")}`,
    o.log.flatMap((l) => [orderId, l.from, l.to, l.reason, l.at]),
  );
}

/** The seat claims of an unpaid or paid order: refused when boxoffice sold a seat already. */
async function claimSeats(tx: Queryable, ids: OrderIds, orderId: number): Promise<void> {
  const seats = ids.seats.filter((s): s is SeatRef => s !== null);
  if (!seats.length) return;
  await tx.exec(
    `INSERT INTO seat_claims (session_id, slot, seat_id, order_id) VALUES ${
      seats.map(() => "(?, ?, ?, ?)").join(", ")
    }`,
    seats.flatMap((s) => [ids.sessionId, String(s.id), s.id, orderId]),
  ).catch(refuseDuplicate("a seat of it is already in a boxoffice order"));
}

/** An unpaid order's tickets locked, a paid one's sold: refused beyond the tier's total. */
async function holdStock(tx: Queryable, o: PlannedOrder, ticketId: number): Promise<void> {
  const column = o.status === 0 ? "locked_stock" : "sold_stock";
  const { affectedRows } = await tx.exec(
    `UPDATE ticket_stock SET ${column} = ${column} + ?, version = version + 1
      WHERE ticket_id = ? AND locked_stock + sold_stock + ? <= total_stock`,
    [o.quantity, ticketId, o.quantity],
  );
  if (affectedRows === 0) {
    throw new Refused(`tier has no stock left for its ${o.quantity} tickets`);
  }
}
