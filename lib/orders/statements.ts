/**
 * The SQL of a create's transaction, built from the new order's row (pure: no store is touched
 * here). Db.atomic sends it in one round trip; the flashsale benchmark's baseline sends the same
 * statements, so both sides run the same SQL.
 */
import type { SqlValue } from "#lib/platform/db.ts";
import { subtotalOf } from "./pricing.ts";
import { ORDER_STATUS } from "./status.ts";

const PENDING = ORDER_STATUS.PENDING_PAYMENT;

export interface Statement {
  sql: string;
  params?: SqlValue[];
}

export interface NewOrderRow {
  orderNo: string;
  userId: number;
  showId: number;
  sessionId: number;
  ticketId: number;
  quantity: number;
  price: number;
  totalAmount: number;
  hourly?: { start: Date; end: Date; hours: number; basePrice: number; nightSurcharge: number };
  expireAt: Date;
  contactPhone: string | null;
  remark: string | null;
  idempotencyKey: string | null;
  createdAt: Date;
  items: { seatId: number | null; seatInfo: string | null; price: number; quantity: number }[];
  slots: string[];
  stockQuantity: number;
}

/**
 * The statements of a create's transaction (for Db.atomic; also sent as they are by the
 * flashsale benchmark's baseline, so both sides run the same SQL).
 */
export function orderStatements(o: NewOrderRow): Statement[] {
  const statements: Statement[] = [
    {
      sql: `INSERT INTO orders (order_no, user_id, show_id, session_id, ticket_id, quantity, price,
                           total_amount, base_price, night_surcharge, booking_start, booking_end,
                           booking_hours, status, expire_at, contact_phone, remark,
                           idempotency_key, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ${PENDING}, ?, ?, ?, ?, ?)`,
      params: [
        o.orderNo,
        o.userId,
        o.showId,
        o.sessionId,
        o.ticketId,
        o.quantity,
        o.price,
        o.totalAmount,
        o.hourly?.basePrice ?? null,
        o.hourly?.nightSurcharge ?? null,
        o.hourly?.start ?? null,
        o.hourly?.end ?? null,
        o.hourly?.hours ?? null,
        o.expireAt,
        o.contactPhone,
        o.remark,
        o.idempotencyKey,
        o.createdAt,
      ],
    },
    { sql: "SET @order_id = LAST_INSERT_ID()" },
    {
      sql:
        `INSERT INTO order_items (order_id, ticket_id, seat_id, seat_info, price, quantity, subtotal)
       VALUES ${o.items.map(() => "(@order_id, ?, ?, ?, ?, ?, ?)").join(", ")}`,
      params: o.items.flatMap((i) => [
        o.ticketId,
        i.seatId,
        i.seatInfo,
        i.price,
        i.quantity,
        subtotalOf(i),
      ]),
    },
    {
      sql: `INSERT INTO order_status_log (order_id, from_status, to_status, reason)
            VALUES (@order_id, NULL, ${PENDING}, 'created')`,
    },
  ];
  if (o.slots.length) {
    // MySQL's own guard: a slot already in an unpaid or paid order is a duplicate key.
    statements.push({
      sql: `INSERT INTO seat_claims (session_id, slot, seat_id, order_id)
         VALUES ${o.slots.map(() => "(?, ?, ?, @order_id)").join(", ")}`,
      params: o.slots.flatMap((slot) => [o.sessionId, slot, Number(slot.split("@")[0])]),
    });
  }
  if (o.stockQuantity > 0) {
    statements.push({
      sql: `UPDATE ticket_stock SET locked_stock = locked_stock + ?, version = version + 1
             WHERE ticket_id = ?`,
      params: [o.stockQuantity, o.ticketId],
    });
  }
  return statements;
}

/** A CHECK constraint failed (MariaDB 4025, MySQL 3819): here, the stock would go over. */
export function isConstraintViolation(e: unknown): boolean {
  const errno = (e as { errno?: number })?.errno;
  return errno === 4025 || errno === 3819;
}
