/**
 * The SQL of a create's transaction, built from the new orders' rows (pure: no store is touched
 * here): one order (orderStatements, ORDER_BATCH=off) or a group commit of many
 * (batchStatements). Db.atomic sends it in one round trip; the flashsale benchmark's baselines
 * send the same statements, so both sides run the same SQL.
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
  /** The tier's per-buyer limit now (MySQL's guard: buyer_tier_totals, migration 008). */
  limitCount: number;
}

// An order's row, the same for a create alone and for a group commit: the columns, the
// placeholders of one row, and its values in that order.
const INSERT_ORDERS = `INSERT INTO orders (order_no, user_id, show_id, session_id, ticket_id,
                           quantity, price, total_amount, base_price, night_surcharge,
                           booking_start, booking_end, booking_hours, status, expire_at,
                           contact_phone, remark, idempotency_key, created_at)`;
const ORDER_VALUES = `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ${PENDING}, ?, ?, ?, ?, ?)`;

function orderValues(o: NewOrderRow): SqlValue[] {
  return [
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
  ];
}

/**
 * The statements of a create's transaction (for Db.atomic; also sent as they are by the
 * flashsale benchmark's baseline, so both sides run the same SQL).
 */
export function orderStatements(o: NewOrderRow): Statement[] {
  const statements: Statement[] = [
    generationsStatement([o]),
    {
      sql: `${INSERT_ORDERS} VALUES ${ORDER_VALUES}`,
      params: orderValues(o),
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
    statements.push(buyerTotalsStatement([o]), {
      sql: `UPDATE ticket_stock SET locked_stock = locked_stock + ?, version = version + 1
             WHERE ticket_id = ?`,
      params: [o.stockQuantity, o.ticketId],
    });
  }
  return statements;
}

/**
 * The statements of a group commit: the orders of `rows` in multi-row statements, then one
 * stock UPDATE per tier (`locked_stock + Σq`, still under the CHECK constraint). Items, log rows
 * and seat claims find their order's id by its number (a unique key), not by LAST_INSERT_ID
 * arithmetic: a multi-row insert's ids are consecutive only with innodb_autoinc_lock_mode 0 or 1
 * (MySQL 8 defaults to 2); each is an equality on that key, so the locking read takes the
 * batch's own rows only. The rows locked by every batch come in one order (buyers, then tiers,
 * by id) so two batches in flight at once cannot deadlock on them.
 */
export function batchStatements(rows: readonly NewOrderRow[]): Statement[] {
  if (rows.length === 0) throw new Error("batchStatements: no orders");
  if (rows.length === 1) return orderStatements(rows[0]);
  const statements: Statement[] = [
    generationsStatement(rows),
    {
      sql: `${INSERT_ORDERS} VALUES ${rows.map(() => ORDER_VALUES).join(", ")}`,
      params: rows.flatMap(orderValues),
    },
    {
      sql:
        `INSERT INTO order_items (order_id, ticket_id, seat_id, seat_info, price, quantity, subtotal)
       ${
          rows.flatMap((o) =>
            o.items.map(() => "SELECT id, ?, ?, ?, ?, ?, ? FROM orders WHERE order_no = ?")
          )
            .join("\n UNION ALL ")
        }`,
      params: rows.flatMap((o) =>
        o.items.flatMap((i) => [
          o.ticketId,
          i.seatId,
          i.seatInfo,
          i.price,
          i.quantity,
          subtotalOf(i),
          o.orderNo,
        ])
      ),
    },
    {
      // One lookup by number an order, as for the items: `order_no IN (...) ORDER BY id` let
      // the optimizer scan the primary key of a table still small (the first seconds of a sale),
      // and that locking read waited on the rows of the other batches in flight: deadlocks, and
      // a whole batch answered 503.
      sql: `INSERT INTO order_status_log (order_id, from_status, to_status, reason)
       ${
        rows.map(() => `SELECT id, NULL, ${PENDING}, 'created' FROM orders WHERE order_no = ?`)
          .join("\n UNION ALL ")
      }`,
      params: rows.map((o) => o.orderNo),
    },
  ];
  const claims = rows.flatMap((o) =>
    o.slots.map((slot) => [o.sessionId, slot, Number(slot.split("@")[0]), o.orderNo])
  );
  if (claims.length) {
    statements.push({
      sql: `INSERT INTO seat_claims (session_id, slot, seat_id, order_id)
       ${
        claims.map(() => "SELECT ?, ?, ?, id FROM orders WHERE order_no = ?").join("\n UNION ALL ")
      }`,
      params: claims.flat(),
    });
  }
  const counted = rows.filter((o) => o.stockQuantity > 0);
  if (counted.length) statements.push(buyerTotalsStatement(counted));
  const perTier = new Map<number, number>();
  for (const o of counted) {
    perTier.set(o.ticketId, (perTier.get(o.ticketId) ?? 0) + o.stockQuantity);
  }
  for (const [ticketId, quantity] of [...perTier].sort(([a], [b]) => a - b)) {
    statements.push({
      sql: `UPDATE ticket_stock SET locked_stock = locked_stock + ?, version = version + 1
             WHERE ticket_id = ?`,
      params: [quantity, ticketId],
    });
  }
  return statements;
}

/**
 * The first statement of a create's transaction: the generations of its orders' sessions
 * (session_id, generation rows; a session never rebuilt has none), read under a shared lock
 * held until the COMMIT. A rebuild of a session's Redis state counts its generation up before it
 * reads MySQL (lib/sale/session_rebuild.ts): one that did so before this read shows here as a
 * generation newer than the one the reserve saw; one that does so later waits for this COMMIT,
 * and reads these orders. Shared locks do not wait for each other: batches still overlap.
 */
export function generationsStatement(rows: readonly NewOrderRow[]): Statement {
  const sessions = [...new Set(rows.map((o) => o.sessionId))].sort((a, b) => a - b);
  return {
    sql: `SELECT session_id, generation FROM sale_state_generations
           WHERE session_id IN (${sessions.map(() => "?").join(", ")}) LOCK IN SHARE MODE`,
    params: sessions,
  };
}

/** The sessions' generations as the first statement of a create's transaction read them. */
export function generationsRead(
  rows: readonly { session_id: number; generation: number }[] | undefined,
): Map<number, number> {
  return new Map((rows ?? []).map((r) => [Number(r.session_id), Number(r.generation)]));
}

/**
 * Adds the orders' tickets to their buyers' totals per tier; the CHECK (quantity <= limit_count)
 * refuses a buyer going over the tier's limit. Two orders of one buyer in one statement add up
 * (the second row updates the first). Sorted by (buyer, tier): the lock order of every batch.
 */
function buyerTotalsStatement(rows: readonly NewOrderRow[]): Statement {
  const sorted = [...rows].sort((a, b) => a.userId - b.userId || a.ticketId - b.ticketId);
  return {
    sql: `INSERT INTO buyer_tier_totals (user_id, ticket_id, quantity, limit_count)
          VALUES ${sorted.map(() => "(?, ?, ?, ?)").join(", ")}
          ON DUPLICATE KEY UPDATE quantity = quantity + VALUES(quantity),
                                  limit_count = VALUES(limit_count)`,
    params: sorted.flatMap((o) => [o.userId, o.ticketId, o.stockQuantity, o.limitCount]),
  };
}

/** A CHECK constraint failed (MariaDB 4025, MySQL 3819): the stock or a buyer's limit. */
export function isConstraintViolation(e: unknown): boolean {
  const errno = (e as { errno?: number })?.errno;
  return errno === 4025 || errno === 3819;
}

/** Which guard of a create's transaction refused it, from the server's error. */
export type CreateRefusal =
  | "stock"
  | "buyer_limit"
  | "seat"
  | "idempotency_key"
  | "order_no"
  | "other";

/**
 * The guard named by a failed create's error: the CHECK of ticket_stock or of
 * buyer_tier_totals, or the unique key of seat_claims (its PRIMARY), orders' idempotency key or
 * order number. "other" for any other error.
 */
export function createRefusalOf(e: unknown): CreateRefusal {
  const cause = (e as { cause?: unknown })?.cause ?? e;
  const err = (cause as { errno?: number; code?: string; message?: string }) ?? {};
  const text = String(err.message ?? "");
  if (isConstraintViolation(err)) {
    return /buyer_tier_totals/.test(text) ? "buyer_limit" : "stock";
  }
  if (err.code === "ER_DUP_ENTRY") {
    if (/uk_orders_idempotency/.test(text)) return "idempotency_key";
    if (/uk_orders_order_no/.test(text)) return "order_no";
    if (/seat_claims|'PRIMARY'/.test(text)) return "seat";
  }
  return "other";
}
