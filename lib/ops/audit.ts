/**
 * The invariants of DESIGN.md, checked against MySQL and Redis as they are now. Used by tests,
 * benchmarks, fault drills and `deno task audit`. Each check reports what it looked at and
 * every violation it found; nothing is changed.
 *
 * Redis is compared only for sessions whose state is built (ready marker present): a session
 * Redis lost is rebuilt on its next use, which is not a violation.
 */
import type { AppContext } from "#lib/platform/context.ts";
import { ACTIVE_STATUSES_SQL, ORDER_STATUS } from "#lib/orders/status.ts";
import { readTierCounters } from "#lib/sale/stock_gate.ts";

const { PENDING_PAYMENT: PENDING, PAID } = ORDER_STATUS;

export interface AuditReport {
  ok: boolean;
  checks: { name: string; checked: number; violations: number }[];
  violations: { check: string; detail: Record<string, unknown> }[];
}

export interface AuditOptions {
  /** Only these sessions (default: every session with tiers). */
  sessionIds?: number[];
  /** Reservations younger than this may still be waiting for their MySQL step. */
  graceMs?: number;
  /** Compare Redis too (default true). */
  redis?: boolean;
}

export async function audit(ctx: AppContext, options: AuditOptions = {}): Promise<AuditReport> {
  const report: AuditReport = { ok: true, checks: [], violations: [] };
  const check = (name: string, checked: number, found: Record<string, unknown>[]) => {
    report.checks.push({ name, checked, violations: found.length });
    for (const detail of found) report.violations.push({ check: name, detail });
  };
  const db = ctx.db;
  const sessionFilter = options.sessionIds?.length
    ? `IN (${options.sessionIds.map(Number).join(", ")})`
    : "IS NOT NULL";
  const graceMs = options.graceMs ?? ctx.config.reconcileGraceSeconds * 1000;

  // 1 + 2. Stock balances, agrees with the orders, and (when built) with Redis.
  const tiers = await db.rows<
    {
      id: number;
      session_id: number;
      total: number;
      locked: number;
      sold: number;
      pending: number;
      paid: number;
    }
  >(
    `SELECT t.id, t.session_id, st.total_stock AS total, st.locked_stock AS locked,
            st.sold_stock AS sold,
            CAST(COALESCE(SUM(CASE WHEN o.status = ${PENDING} THEN o.quantity END), 0) AS SIGNED) AS pending,
            CAST(COALESCE(SUM(CASE WHEN o.status = ${PAID} THEN o.quantity END), 0) AS SIGNED) AS paid
       FROM tickets t
       JOIN ticket_stock st ON st.ticket_id = t.id
       LEFT JOIN orders o ON o.ticket_id = t.id AND o.booking_start IS NULL
      WHERE t.session_id ${sessionFilter}
      GROUP BY t.id`,
  );
  const balance: Record<string, unknown>[] = [];
  const agreement: Record<string, unknown>[] = [];
  const stores: Record<string, unknown>[] = [];
  for (const t of tiers) {
    const available = t.total - t.locked - t.sold;
    if (available < 0 || t.locked < 0 || t.sold < 0) {
      balance.push({ ticketId: t.id, total: t.total, locked: t.locked, sold: t.sold });
    }
    if (t.locked !== Number(t.pending) || t.sold !== Number(t.paid)) {
      agreement.push({
        ticketId: t.id,
        locked: t.locked,
        pendingOrders: Number(t.pending),
        sold: t.sold,
        paidOrders: Number(t.paid),
      });
    }
    if (options.redis !== false && await sessionReady(ctx, t.session_id)) {
      const r = await readTierCounters(ctx, t.session_id, t.id);
      if (!r || r.total !== t.total || r.locked !== t.locked || r.sold !== t.sold) {
        stores.push({
          ticketId: t.id,
          mysql: { total: t.total, locked: t.locked, sold: t.sold },
          redis: r,
        });
      }
    }
  }
  check(
    "1. stock balances: available + locked + sold = total, none negative",
    tiers.length,
    balance,
  );
  check("1. Redis agrees with MySQL on every built tier", tiers.length, stores);
  check("2. sold = paid orders, locked = unpaid orders", tiers.length, agreement);

  // 3. No seat in two active orders.
  const doubleSeats = await db.rows<{ session_id: number; seat_id: number; orders: number }>(
    `SELECT o.session_id, i.seat_id, COUNT(*) AS orders
       FROM order_items i JOIN orders o ON o.id = i.order_id
      WHERE i.seat_id IS NOT NULL AND o.status ${ACTIVE_STATUSES_SQL} AND o.booking_start IS NULL
        AND o.session_id ${sessionFilter}
      GROUP BY o.session_id, i.seat_id HAVING COUNT(*) > 1`,
  );
  check("3. no seat in two unpaid or paid orders", doubleSeats.length, doubleSeats);
  const overlapping = await db.rows<{ seat_id: number; order_id: number; other: number }>(
    `SELECT ia.seat_id, ia.order_id, ib.order_id AS other
       FROM order_items ia JOIN orders a ON a.id = ia.order_id
       JOIN order_items ib ON ib.seat_id = ia.seat_id AND ib.order_id > ia.order_id
       JOIN orders b ON b.id = ib.order_id
      WHERE a.session_id ${sessionFilter} AND a.booking_start IS NOT NULL
        AND a.status ${ACTIVE_STATUSES_SQL} AND b.status ${ACTIVE_STATUSES_SQL}
        AND a.booking_start < b.booking_end AND b.booking_start < a.booking_end
      LIMIT 100`,
  );
  check("3. no seat-hour in two unpaid or paid hourly bookings", overlapping.length, overlapping);

  // 4. Per-buyer limit.
  const overLimit = await db.rows<
    { user_id: number; ticket_id: number; n: number; limit_count: number }
  >(
    `SELECT o.user_id, o.ticket_id, CAST(SUM(o.quantity) AS SIGNED) AS n, t.limit_count
       FROM orders o JOIN tickets t ON t.id = o.ticket_id
      WHERE o.status ${ACTIVE_STATUSES_SQL} AND o.booking_start IS NULL AND o.session_id ${sessionFilter}
      GROUP BY o.user_id, o.ticket_id HAVING SUM(o.quantity) > t.limit_count`,
  );
  check("4. no buyer over the tier's limit", overLimit.length, overLimit);

  // 5. Expiry respected.
  const late = await db.rows<{ order_no: string; status: number }>(
    `SELECT order_no, status FROM orders
      WHERE session_id ${sessionFilter}
        AND ((status = ${PAID} AND pay_time > expire_at) OR (status = ${PENDING} AND expire_at < ?))
      LIMIT 100`,
    [new Date(ctx.now() - Math.max(graceMs, 60_000) * 5)],
  );
  check("5. none paid after expire_at, none left unpaid long past it", late.length, late);

  // 6. Reservations and orders match (reservations older than the grace period).
  const orphans: Record<string, unknown>[] = [];
  let reservationsChecked = 0;
  if (options.redis !== false) {
    const sessions = [...new Set(tiers.map((t) => t.session_id))];
    for (const s of sessions) {
      if (!await sessionReady(ctx, s)) continue;
      const key = ctx.keys.reservations(s);
      const all = await ctx.redis.send<string[]>(["HGETALL", key], key);
      const entries: [string, { c: number; st: string }][] = [];
      for (let i = 0; i < all.length; i += 2) entries.push([all[i], JSON.parse(all[i + 1])]);
      const old = entries.filter(([, r]) => r.c < ctx.now() - graceMs);
      reservationsChecked += entries.length;
      if (old.length) {
        const rows = await db.rows<{ order_no: string; status: number }>(
          `SELECT order_no, status FROM orders WHERE order_no IN (${
            old.map(() => "?").join(", ")
          })`,
          old.map(([no]) => no),
        );
        const status = new Map(rows.map((r) => [r.order_no, r.status]));
        for (const [no, r] of old) {
          const s2 = status.get(no);
          const expected = r.st === "p" ? 0 : 1;
          if (s2 !== expected) orphans.push({ orderNo: no, redis: r.st, mysqlStatus: s2 ?? null });
        }
      }
      const pending = await db.rows<{ order_no: string }>(
        `SELECT order_no FROM orders WHERE session_id = ? AND status = ${PENDING} AND created_at < ?`,
        [s, new Date(ctx.now() - graceMs)],
      );
      const reserved = new Set(entries.map(([no]) => no));
      for (const p of pending) {
        if (!reserved.has(p.order_no)) {
          orphans.push({ orderNo: p.order_no, redis: null, mysqlStatus: 0 });
        }
      }
    }
  }
  check(
    "6. every reservation has its order and every unpaid order its reservation",
    reservationsChecked,
    orphans,
  );

  // 7. Every status has its log row.
  const unlogged = await db.rows<{ order_no: string; status: number }>(
    `SELECT o.order_no, o.status FROM orders o
      WHERE o.session_id ${sessionFilter} AND NOT EXISTS (
        SELECT 1 FROM order_status_log l WHERE l.order_id = o.id AND l.to_status = o.status)
      LIMIT 100`,
  );
  const [{ n: orders }] = await db.rows<{ n: number }>(
    `SELECT COUNT(*) AS n FROM orders WHERE session_id ${sessionFilter}`,
  );
  check("7. every status change has its log row", Number(orders), unlogged);

  report.ok = report.violations.length === 0;
  return report;
}

async function sessionReady(ctx: AppContext, sessionId: number): Promise<boolean> {
  const key = ctx.keys.sessionReady(sessionId);
  return Number(await ctx.redis.send(["EXISTS", key], key)) === 1;
}
