/**
 * The invariants of DESIGN.md, checked against MySQL and Redis as they are now. Used by tests,
 * benchmarks, fault drills and `deno task audit`. Each check reports what it looked at and
 * every violation it found; nothing is changed.
 *
 * Redis is compared only for sessions whose state is built (ready marker present): a session
 * Redis lost is rebuilt on its next use, which is not a violation. What Redis should hold is
 * the shared model of consistency/expected.ts.
 */
import type { AppContext } from "#lib/platform/context.ts";
import { ACTIVE_STATUSES_SQL, ORDER_STATUS } from "#lib/orders/status.ts";
import { readTierCounters } from "#lib/sale/stock_gate.ts";
import {
  type ExpectedSession,
  expectedSession,
  judgeReservation,
  missingReservations,
} from "./consistency/expected.ts";
import { reservationRecords, sessionBuilt } from "./consistency/redis_state.ts";

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

/** One check's outcome: its name, how many things it looked at, the violations it found. */
type Check = [name: string, checked: number, found: Record<string, unknown>[]];

/** What the checks look at: a SQL filter on session ids, the grace period, Redis or not. */
interface Scope {
  sessions: string;
  graceMs: number;
  redis: boolean;
}

export async function audit(ctx: AppContext, options: AuditOptions = {}): Promise<AuditReport> {
  const scope: Scope = {
    sessions: options.sessionIds?.length
      ? `IN (${options.sessionIds.map(Number).join(", ")})`
      : "IS NOT NULL",
    graceMs: options.graceMs ?? ctx.config.reconcileGraceSeconds * 1000,
    redis: options.redis !== false,
  };
  const tiers = await tiersWithOrders(ctx, scope);
  const built = scope.redis ? await builtSessions(ctx, tiers) : new Map();
  const checks: Check[] = [
    stockBalances(tiers),
    await redisAgrees(ctx, tiers, built),
    stockMatchesOrders(tiers),
    await noSeatTwice(ctx, scope),
    await noSeatHourTwice(ctx, scope),
    await buyersWithinLimits(ctx, scope),
    await buyerTotalsMatchOrders(ctx, scope),
    await expiryRespected(ctx, scope),
    await reservationsMatchOrders(ctx, built, scope),
    await statusesLogged(ctx, scope),
  ];
  const report: AuditReport = { ok: true, checks: [], violations: [] };
  for (const [name, checked, found] of checks) {
    report.checks.push({ name, checked, violations: found.length });
    for (const detail of found) report.violations.push({ check: name, detail });
  }
  report.ok = report.violations.length === 0;
  return report;
}

interface TierRow {
  id: number;
  session_id: number;
  total: number;
  locked: number;
  sold: number;
  pending: number;
  paid: number;
}

/** Every tier's stock row with the tickets of its unpaid and paid (not hourly) orders. */
function tiersWithOrders(ctx: AppContext, scope: Scope): Promise<TierRow[]> {
  return ctx.db.rows<TierRow>(
    `SELECT t.id, t.session_id, st.total_stock AS total, st.locked_stock AS locked,
            st.sold_stock AS sold,
            CAST(COALESCE(SUM(CASE WHEN o.status = ${PENDING} THEN o.quantity END), 0) AS SIGNED) AS pending,
            CAST(COALESCE(SUM(CASE WHEN o.status = ${PAID} THEN o.quantity END), 0) AS SIGNED) AS paid
       FROM tickets t
       JOIN ticket_stock st ON st.ticket_id = t.id
       LEFT JOIN orders o ON o.ticket_id = t.id AND o.booking_start IS NULL
      WHERE t.session_id ${scope.sessions}
      GROUP BY t.id`,
  );
}

/** The sessions of the tiers whose state Redis has built, with what Redis should hold. */
async function builtSessions(
  ctx: AppContext,
  tiers: TierRow[],
): Promise<Map<number, ExpectedSession>> {
  const built = new Map<number, ExpectedSession>();
  for (const s of new Set(tiers.map((t) => t.session_id))) {
    if (await sessionBuilt(ctx, s)) built.set(s, await expectedSession(ctx, s));
  }
  return built;
}

function stockBalances(tiers: TierRow[]): Check {
  const found = tiers
    .filter((t) => t.total - t.locked - t.sold < 0 || t.locked < 0 || t.sold < 0)
    .map((t) => ({ ticketId: t.id, total: t.total, locked: t.locked, sold: t.sold }));
  return [
    "1. stock balances: available + locked + sold = total, none negative",
    tiers.length,
    found,
  ];
}

async function redisAgrees(
  ctx: AppContext,
  tiers: TierRow[],
  built: Map<number, ExpectedSession>,
): Promise<Check> {
  const found: Record<string, unknown>[] = [];
  for (const t of tiers) {
    const expected = built.get(t.session_id);
    if (!expected) continue;
    const want = expected.tiers.find((e) => e.id === t.id) ?? t;
    const mysql = { total: want.total, locked: want.locked, sold: want.sold };
    const r = await readTierCounters(ctx, t.session_id, t.id);
    if (!r || r.total !== mysql.total || r.locked !== mysql.locked || r.sold !== mysql.sold) {
      found.push({ ticketId: t.id, mysql, redis: r });
    }
  }
  return ["1. Redis agrees with MySQL on every built tier", tiers.length, found];
}

function stockMatchesOrders(tiers: TierRow[]): Check {
  const found = tiers
    .filter((t) => t.locked !== Number(t.pending) || t.sold !== Number(t.paid))
    .map((t) => ({
      ticketId: t.id,
      locked: t.locked,
      pendingOrders: Number(t.pending),
      sold: t.sold,
      paidOrders: Number(t.paid),
    }));
  return ["2. sold = paid orders, locked = unpaid orders", tiers.length, found];
}

async function noSeatTwice(ctx: AppContext, scope: Scope): Promise<Check> {
  const found = await ctx.db.rows<{ session_id: number; seat_id: number; orders: number }>(
    `SELECT o.session_id, i.seat_id, COUNT(*) AS orders
       FROM order_items i JOIN orders o ON o.id = i.order_id
      WHERE i.seat_id IS NOT NULL AND o.status ${ACTIVE_STATUSES_SQL} AND o.booking_start IS NULL
        AND o.session_id ${scope.sessions}
      GROUP BY o.session_id, i.seat_id HAVING COUNT(*) > 1`,
  );
  return ["3. no seat in two unpaid or paid orders", found.length, found];
}

async function noSeatHourTwice(ctx: AppContext, scope: Scope): Promise<Check> {
  const found = await ctx.db.rows<{ seat_id: number; order_id: number; other: number }>(
    `SELECT ia.seat_id, ia.order_id, ib.order_id AS other
       FROM order_items ia JOIN orders a ON a.id = ia.order_id
       JOIN order_items ib ON ib.seat_id = ia.seat_id AND ib.order_id > ia.order_id
       JOIN orders b ON b.id = ib.order_id
      WHERE a.session_id ${scope.sessions} AND a.booking_start IS NOT NULL
        AND a.status ${ACTIVE_STATUSES_SQL} AND b.status ${ACTIVE_STATUSES_SQL}
        AND a.booking_start < b.booking_end AND b.booking_start < a.booking_end
      LIMIT 100`,
  );
  return ["3. no seat-hour in two unpaid or paid hourly bookings", found.length, found];
}

async function buyersWithinLimits(ctx: AppContext, scope: Scope): Promise<Check> {
  const found = await ctx.db.rows<
    { user_id: number; ticket_id: number; n: number; limit_count: number }
  >(
    `SELECT o.user_id, o.ticket_id, CAST(SUM(o.quantity) AS SIGNED) AS n, t.limit_count
       FROM orders o JOIN tickets t ON t.id = o.ticket_id
      WHERE o.status ${ACTIVE_STATUSES_SQL} AND o.booking_start IS NULL
        AND o.session_id ${scope.sessions}
      GROUP BY o.user_id, o.ticket_id HAVING SUM(o.quantity) > t.limit_count`,
  );
  return ["4. no buyer over the tier's limit", found.length, found];
}

/**
 * MySQL's own limit guard (buyer_tier_totals, migration 008) holds, per buyer and tier, the
 * tickets of the buyer's unpaid and paid orders: a create adds its stock quantity in its own
 * transaction, a cancel or expiry subtracts it in its own. Hourly bookings count no tickets there
 * (their stock quantity is 0), and a row left at 0 after a cancel is as good as no row. One
 * statement reads both sides, so it sees them at one moment (InnoDB's consistent read).
 */
async function buyerTotalsMatchOrders(ctx: AppContext, scope: Scope): Promise<Check> {
  const pairs = `SELECT user_id, ticket_id, SUM(total) AS total, SUM(active) AS active FROM (
      SELECT b.user_id, b.ticket_id, b.quantity AS total, 0 AS active
        FROM buyer_tier_totals b JOIN tickets t ON t.id = b.ticket_id
       WHERE t.session_id ${scope.sessions}
      UNION ALL
      SELECT o.user_id, o.ticket_id, 0, o.quantity FROM orders o
       WHERE o.status ${ACTIVE_STATUSES_SQL} AND o.booking_start IS NULL
         AND o.session_id ${scope.sessions}
    ) pair GROUP BY user_id, ticket_id`;
  const off = await ctx.db.rows<
    { user_id: number; ticket_id: number; total: number; active: number }
  >(
    `SELECT user_id, ticket_id, CAST(total AS SIGNED) AS total, CAST(active AS SIGNED) AS active
       FROM (${pairs}) p WHERE total <> active ORDER BY user_id, ticket_id LIMIT 100`,
  );
  const [{ n }] = await ctx.db.rows<{ n: number }>(`SELECT COUNT(*) AS n FROM (${pairs}) p`);
  const found = off.map((r) => ({
    userId: r.user_id,
    ticketId: r.ticket_id,
    buyerTierTotal: Number(r.total),
    activeOrderTickets: Number(r.active),
  }));
  return [
    "4. buyer_tier_totals = the tickets of each buyer's unpaid and paid orders of the tier",
    Number(n),
    found,
  ];
}

async function expiryRespected(ctx: AppContext, scope: Scope): Promise<Check> {
  const found = await ctx.db.rows<{ order_no: string; status: number }>(
    `SELECT order_no, status FROM orders
      WHERE session_id ${scope.sessions}
        AND ((status = ${PAID} AND pay_time > expire_at) OR (status = ${PENDING} AND expire_at < ?))
      LIMIT 100`,
    [new Date(ctx.now() - Math.max(scope.graceMs, 60_000) * 5)],
  );
  return ["5. none paid after expire_at, none left unpaid long past it", found.length, found];
}

/**
 * Reservations older than the grace period each judged against their order (expected.ts), and
 * every unpaid order older than it has its reservation.
 */
async function reservationsMatchOrders(
  ctx: AppContext,
  built: Map<number, ExpectedSession>,
  scope: Scope,
): Promise<Check> {
  const found: Record<string, unknown>[] = [];
  const before = ctx.now() - scope.graceMs;
  let checked = 0;
  for (const s of built.keys()) {
    // Redis first, then MySQL: an order paid or cancelled in between is seen settled in both.
    const records = await reservationRecords(ctx, s);
    const expected = await expectedSession(ctx, s);
    checked += records.size;
    const old = [...records].filter(([, r]) => r.c < before);
    const statusOf = await orderStatuses(ctx, old.map(([no]) => no));
    for (const [no, r] of old) {
      const status = statusOf.get(no);
      const pending = status === PENDING ? expected.reservations[no] ?? r : undefined;
      const verdict = judgeReservation(r, pending, status, ctx.now(), scope.graceMs);
      if (verdict.kind !== "ok") {
        found.push({ orderNo: no, redis: r.st, mysqlStatus: status ?? null });
      }
    }
    for (const [no, r] of missingReservations(expected, records)) {
      if (r.c < before) found.push({ orderNo: no, redis: null, mysqlStatus: PENDING });
    }
  }
  return [
    "6. every reservation has its order and every unpaid order its reservation",
    checked,
    found,
  ];
}

async function orderStatuses(ctx: AppContext, orderNos: string[]): Promise<Map<string, number>> {
  if (!orderNos.length) return new Map();
  const rows = await ctx.db.rows<{ order_no: string; status: number }>(
    `SELECT order_no, status FROM orders WHERE order_no IN (${orderNos.map(() => "?").join(", ")})`,
    orderNos,
  );
  return new Map(rows.map((r) => [r.order_no, r.status]));
}

async function statusesLogged(ctx: AppContext, scope: Scope): Promise<Check> {
  const found = await ctx.db.rows<{ order_no: string; status: number }>(
    `SELECT o.order_no, o.status FROM orders o
      WHERE o.session_id ${scope.sessions} AND NOT EXISTS (
        SELECT 1 FROM order_status_log l WHERE l.order_id = o.id AND l.to_status = o.status)
      LIMIT 100`,
  );
  const [{ n: orders }] = await ctx.db.rows<{ n: number }>(
    `SELECT COUNT(*) AS n FROM orders WHERE session_id ${scope.sessions}`,
  );
  return ["7. every status change has its log row", Number(orders), found];
}
