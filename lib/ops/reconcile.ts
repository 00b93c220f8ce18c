/**
 * Reconciliation: each active session's sale state in Redis compared with MySQL, the system of
 * record, and repaired toward MySQL.
 *
 * Compared, per session whose state is built (ready marker present): every tier's
 * total/locked/sold, its buyers' counts, the reservations against the unpaid (and paid) orders,
 * the seat claims, the buyers' unpaid seat-hours, the disabled seats, and the session's hold
 * keys. A session Redis has not built is reported as "not built", not as a difference: it is
 * rebuilt on its first use.
 *
 * Creates are in flight all the time: Redis reserves first and MySQL commits a moment later. So
 * a reservation younger than RECONCILE_GRACE_SECONDS with no order row yet is counted as what
 * Redis should hold, never as stray; MySQL is read before Redis, so an order that commits in
 * between shows up as such a young reservation. A pay or cancel between the two reads could
 * still look like a difference, so a session with differences is compared a second time and
 * only differences seen both times are reported.
 *
 * Repair: a stray reservation (older than the grace period, no unpaid order) is released with
 * the release script; a stray hold key is deleted; any other difference rebuilds the session
 * from MySQL (invalidate, then rebuild under the session's lock).
 */
import type { AppContext } from "#lib/platform/context.ts";
import { ORDER_STATUS } from "#lib/orders/status.ts";
import { errorFields } from "#lib/platform/log.ts";
import {
  invalidateSession,
  rebuildSession,
  type ReservationRecord,
} from "#lib/sale/session_rebuild.ts";
import { releaseReservation } from "#lib/sale/stock_gate.ts";
import { parseSlot, strayHoldReason } from "#lib/seating/slots.ts";
import {
  type ExpectedSession,
  expectedSession,
  type ExpectedTier,
  judgeReservation,
  missingReservations,
  withReservations,
} from "./consistency/expected.ts";
import {
  disabledSeats,
  hashOf,
  holdKeys,
  reservationRecords,
  sessionBuilt,
} from "./consistency/redis_state.ts";

export type DifferenceKind =
  | "tier"
  | "tier-missing"
  | "buyers"
  | "reservation-stray"
  | "reservation-missing"
  | "reservation-state"
  | "claim"
  | "seat-hours"
  | "disabled"
  | "hold-stray";

export interface Difference {
  sessionId: number;
  kind: DifferenceKind;
  /** What differs: a tier id, an order number, a slot, a seat id or a hold key. */
  key: string;
  mysql: unknown;
  redis: unknown;
}

export interface ReconcileReport {
  /** Active sessions looked at. */
  sessions: number;
  /** Active sessions Redis has not built (rebuilt on first use; nothing to compare). */
  notBuilt: number[];
  differences: Difference[];
  /** Only when repairing. */
  repaired?: {
    /** Sessions rebuilt from MySQL. */
    rebuilt: number[];
    /** Stray reservations released, by order number. */
    released: string[];
    /** Stray hold keys deleted. */
    holdsDeleted: number;
    /** Differences still there after the repair (should be none). */
    remaining: Difference[];
  };
  /** The last session id looked at, when more sessions may follow (a bounded run). */
  nextAfter?: number;
}

export interface ReconcileOptions {
  repair: boolean;
  /** Sessions read from MySQL at a time. */
  batch?: number;
  /** Start after this session id (a cron run continues where the previous one stopped). */
  after?: number;
  /** Stop after this many sessions (default: all active sessions). */
  maxSessions?: number;
}

const DEFAULT_BATCH = 50;

/** Sessions still selling or with unpaid orders, with tiers, in id order, after `after`. */
async function activeSessions(ctx: AppContext, after: number, limit: number): Promise<number[]> {
  const rows = await ctx.db.rows<{ id: number }>(
    `SELECT s.id FROM sessions s
      WHERE s.id > ?
        AND EXISTS (SELECT 1 FROM tickets t WHERE t.session_id = s.id)
        AND (s.end_time > ? OR EXISTS (
              SELECT 1 FROM orders o WHERE o.session_id = s.id AND o.status = ${ORDER_STATUS.PENDING_PAYMENT}))
      ORDER BY s.id LIMIT ?`,
    [after, new Date(ctx.now()), limit],
  );
  return rows.map((r) => r.id);
}

/** Compares (and with `repair`, repairs) active sessions, a batch at a time. */
export async function reconcile(
  ctx: AppContext,
  options: ReconcileOptions,
): Promise<ReconcileReport> {
  const batch = options.batch ?? DEFAULT_BATCH;
  const max = options.maxSessions ?? Infinity;
  const report: ReconcileReport = { sessions: 0, notBuilt: [], differences: [] };
  if (options.repair) {
    report.repaired = { rebuilt: [], released: [], holdsDeleted: 0, remaining: [] };
  }
  let after = options.after ?? 0;
  while (report.sessions < max) {
    const ids = await activeSessions(ctx, after, Math.min(batch, max - report.sessions));
    if (ids.length === 0) {
      after = 0;
      break;
    }
    for (const sessionId of ids) {
      report.sessions++;
      after = sessionId;
      const found = await compareSession(ctx, sessionId);
      if (found === null) {
        report.notBuilt.push(sessionId);
        continue;
      }
      report.differences.push(...found);
      if (options.repair && found.length) {
        await repairSession(ctx, sessionId, found, report.repaired!);
      }
    }
    if (ids.length < batch) {
      after = 0;
      break;
    }
  }
  if (after !== 0) report.nextAfter = after;
  return report;
}

/**
 * The differences of one session, each seen in two comparisons in a row; null when the session
 * is not built in Redis.
 */
export async function compareSession(
  ctx: AppContext,
  sessionId: number,
): Promise<Difference[] | null> {
  const first = await compareOnce(ctx, sessionId);
  if (first === null || first.length === 0) return first;
  const second = await compareOnce(ctx, sessionId);
  if (second === null) return null;
  const seen = new Set(first.map(identity));
  return second.filter((d) => seen.has(identity(d)));
}

const identity = (d: Difference) => `${d.kind}|${d.key}`;

/**
 * One comparison of the session, in steps: MySQL's expectation first (an order committed after
 * this read shows up in Redis as a young reservation), then the reservations, the tiers and their
 * buyers, the claims, the disabled seats and the hold keys. Null when the session is not built.
 */
async function compareOnce(ctx: AppContext, sessionId: number): Promise<Difference[] | null> {
  if (!await sessionBuilt(ctx, sessionId)) return null;
  const expected = await expectedSession(ctx, sessionId);
  const records = await reservationRecords(ctx, sessionId);
  const diffs: Difference[] = [];
  const add: AddDifference = (kind, key, mysql, redis) =>
    diffs.push({ sessionId, kind, key: String(key), mysql, redis });

  const extra = await compareReservations(ctx, expected, records, add);
  const want = withReservations(expected, extra);
  for (const tier of want.tiers) await compareTier(ctx, sessionId, tier, add);
  const claims = await compareClaims(ctx, sessionId, want.claims, add);
  await compareSeatHours(ctx, sessionId, want.seatHours, add);
  const disabled = await compareDisabled(ctx, sessionId, expected.disabled, add);
  await findStrayHolds(ctx, sessionId, claims, disabled, add);
  return diffs;
}

type AddDifference = (
  kind: DifferenceKind,
  key: string | number,
  mysql: unknown,
  redis: unknown,
) => void;

/**
 * Each record judged against its order (expected.ts), and every unpaid order's record looked
 * for. Returns the records MySQL does not know as unpaid orders: creates still committing and
 * strays, which the counters and claims are compared with (see withReservations).
 */
async function compareReservations(
  ctx: AppContext,
  expected: ExpectedSession,
  records: Map<string, ReservationRecord>,
  add: AddDifference,
): Promise<Map<string, ReservationRecord>> {
  const now = ctx.now();
  const graceMs = ctx.config.reconcileGraceSeconds * 1000;
  const others = [...records.keys()].filter((no) => !(no in expected.reservations));
  const statusOf = await orderStatuses(ctx, others);
  const extra = new Map<string, ReservationRecord>();
  for (const [no, r] of records) {
    const verdict = judgeReservation(r, expected.reservations[no], statusOf.get(no), now, graceMs);
    if (verdict.kind === "state") add("reservation-state", no, verdict.mysql, verdict.redis);
    if (verdict.kind === "in-flight" || verdict.kind === "stray") extra.set(no, r);
    if (verdict.kind === "stray") add("reservation-stray", no, verdict.mysql, verdict.redis);
  }
  for (const [no] of missingReservations(expected, records)) {
    add("reservation-missing", no, "pending", null);
  }
  return extra;
}

/** MySQL's status of each order number (absent: no such order), 500 numbers a query. */
async function orderStatuses(ctx: AppContext, orderNos: string[]): Promise<Map<string, number>> {
  const statusOf = new Map<string, number>();
  for (let i = 0; i < orderNos.length; i += 500) {
    const chunk = orderNos.slice(i, i + 500);
    const rows = await ctx.db.rows<{ order_no: string; status: number }>(
      `SELECT order_no, status FROM orders WHERE order_no IN (${chunk.map(() => "?").join(", ")})`,
      chunk,
    );
    for (const r of rows) statusOf.set(r.order_no, r.status);
  }
  return statusOf;
}

/** A tier's counters and its buyers' counts. */
async function compareTier(
  ctx: AppContext,
  sessionId: number,
  want: ExpectedTier,
  add: AddDifference,
): Promise<void> {
  const expected = { total: want.total, locked: want.locked, sold: want.sold };
  const h = await hashOf(ctx, ctx.keys.tier(sessionId, want.id));
  if (h.total === undefined) {
    add("tier-missing", want.id, expected, null);
  } else {
    const got = { total: Number(h.total), locked: Number(h.locked), sold: Number(h.sold) };
    if (
      got.total !== expected.total || got.locked !== expected.locked || got.sold !== expected.sold
    ) add("tier", want.id, expected, got);
  }
  const gotBuyers = await hashOf(ctx, ctx.keys.tierBuyers(sessionId, want.id));
  const mysql: Record<string, number> = {};
  const redis: Record<string, number> = {};
  for (const u of new Set([...Object.keys(want.buyers), ...Object.keys(gotBuyers)])) {
    const [m, r] = [want.buyers[u] ?? 0, Number(gotBuyers[u] ?? 0)];
    if (m !== r) [mysql[u], redis[u]] = [m, r];
  }
  if (Object.keys(mysql).length) add("buyers", want.id, mysql, redis);
}

/**
 * The claims hash, slot by slot; returns it as Redis has it. Seat-hours that are over are left
 * out on both sides: history, which the prune-past-hours job takes out of both stores.
 */
async function compareClaims(
  ctx: AppContext,
  sessionId: number,
  want: Record<string, string>,
  add: AddDifference,
): Promise<Record<string, string>> {
  const got = await hashOf(ctx, ctx.keys.claims(sessionId));
  const now = ctx.now();
  for (const slot of new Set([...Object.keys(want), ...Object.keys(got)])) {
    if (hourIsOver(slot, now)) continue;
    if (want[slot] !== got[slot]) add("claim", slot, want[slot] ?? null, got[slot] ?? null);
  }
  return got;
}

/** The buyers' unpaid seat-hours of hourly bookings (the per-buyer cap counts them). */
async function compareSeatHours(
  ctx: AppContext,
  sessionId: number,
  want: Record<string, number>,
  add: AddDifference,
): Promise<void> {
  const got = await hashOf(ctx, ctx.keys.unpaidSeatHours(sessionId));
  for (const u of new Set([...Object.keys(want), ...Object.keys(got)])) {
    const [m, r] = [want[u] ?? 0, Number(got[u] ?? 0)];
    if (m !== r) add("seat-hours", u, m, r);
  }
}

/** A seat-hour whose hour has ended (a seat, with no hour, never is). */
function hourIsOver(slot: string, now: number): boolean {
  const hourStart = parseSlot(slot)?.hourStart;
  return hourStart !== null && hourStart !== undefined && hourStart + HOUR_MS <= now;
}

const HOUR_MS = 3_600_000;

/** The disabled seats set; returns it as Redis has it. */
async function compareDisabled(
  ctx: AppContext,
  sessionId: number,
  expected: string[],
  add: AddDifference,
): Promise<Set<string>> {
  const got = await disabledSeats(ctx, sessionId);
  const want = new Set(expected.map(String));
  for (const seat of new Set([...want, ...got])) {
    if (want.has(seat) !== got.has(seat)) add("disabled", seat, want.has(seat), got.has(seat));
  }
  return got;
}

/** Hold keys that are stray (strayHoldReason), judged against Redis's own claims and seats. */
async function findStrayHolds(
  ctx: AppContext,
  sessionId: number,
  claims: Record<string, string>,
  disabled: Set<string>,
  add: AddDifference,
): Promise<void> {
  for (const { key, slot, ttl } of await holdKeys(ctx, sessionId)) {
    const seat = /^(\d+)/.exec(slot)?.[1] ?? slot;
    const reason = strayHoldReason(ttl, {
      claim: claims[slot] ?? null,
      disabled: disabled.has(seat),
    });
    if (reason) add("hold-stray", key, null, reason);
  }
}

async function repairSession(
  ctx: AppContext,
  sessionId: number,
  found: Difference[],
  repaired: NonNullable<ReconcileReport["repaired"]>,
): Promise<void> {
  try {
    for (const d of found) {
      if (d.kind === "reservation-stray") {
        const [row] = await ctx.db.rows<{ ticket_id: number }>(
          "SELECT ticket_id FROM orders WHERE order_no = ?",
          [d.key],
        );
        const stray = d.redis as { t: number; u: number };
        const ticketId = row?.ticket_id ?? stray.t;
        await releaseReservation(ctx, { orderNo: d.key, sessionId, ticketId, userId: stray.u });
        repaired.released.push(d.key);
      } else if (d.kind === "hold-stray") {
        repaired.holdsDeleted += Number(await ctx.redis.send(["DEL", d.key], d.key));
      }
    }
    // Releasing strays corrects the counters they held; a rebuild is needed only for the rest
    // (and is avoided otherwise: it would drop reservations whose order is still committing).
    if (found.some((d) => d.kind !== "reservation-stray" && d.kind !== "hold-stray")) {
      await invalidateSession(ctx, sessionId);
      await rebuildSession(ctx, sessionId);
      repaired.rebuilt.push(sessionId);
    }
    const remaining = await compareSession(ctx, sessionId);
    if (remaining?.length) repaired.remaining.push(...remaining);
    ctx.log.warn("session repaired toward MySQL", {
      sessionId,
      differences: found.length,
      remaining: remaining?.length ?? 0,
    });
  } catch (e) {
    ctx.log.error("session repair failed", { sessionId, ...errorFields(e) });
    throw e;
  }
}
