/**
 * Reconciliation: each active session's sale state in Redis compared with MySQL, the system of
 * record, and repaired toward MySQL.
 *
 * Compared, per session whose state is built (ready marker present): every tier's
 * total/locked/sold, its buyers' counts, the reservations against the unpaid (and paid) orders,
 * the seat claims, the disabled seats, and the session's hold keys. A session Redis has not
 * built is reported as "not built", not as a difference: it is rebuilt on its first use.
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
  readSessionState,
  rebuildSession,
  type ReservationRecord,
} from "#lib/sale/session_rebuild.ts";
import { escapeGlob } from "#lib/platform/redis.ts";
import { releaseReservation } from "#lib/sale/stock_gate.ts";

export type DifferenceKind =
  | "tier"
  | "tier-missing"
  | "buyers"
  | "reservation-stray"
  | "reservation-missing"
  | "reservation-state"
  | "claim"
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

async function compareOnce(ctx: AppContext, sessionId: number): Promise<Difference[] | null> {
  const k = ctx.keys;
  const ready = k.sessionReady(sessionId);
  if (Number(await ctx.redis.send(["EXISTS", ready], ready)) !== 1) return null;
  const now = ctx.now();
  const graceMs = ctx.config.reconcileGraceSeconds * 1000;
  // MySQL first: an order committed after this read appears in Redis as a young reservation.
  const state = await readSessionState(ctx, sessionId);

  const reservations = await hashOf(ctx, k.reservations(sessionId));
  const records = new Map<string, ReservationRecord>();
  for (const [no, raw] of Object.entries(reservations)) {
    try {
      const r = JSON.parse(raw) as ReservationRecord;
      // Lua's cjson writes an empty table (a general-admission order's slots) as {}, not [].
      records.set(no, { ...r, s: Array.isArray(r.s) ? r.s : [] });
    } catch {
      records.set(no, { u: 0, t: 0, q: 0, st: "p", c: 0, s: [] });
    }
  }
  // Orders Redis has records of that are not unpaid in MySQL: what MySQL says about them.
  const others = [...records.keys()].filter((no) => !(no in state.reservations));
  const statusOf = new Map<string, number>();
  for (let i = 0; i < others.length; i += 500) {
    const chunk = others.slice(i, i + 500);
    const rows = await ctx.db.rows<{ order_no: string; status: number }>(
      `SELECT order_no, status FROM orders WHERE order_no IN (${chunk.map(() => "?").join(", ")})`,
      chunk,
    );
    for (const r of rows) statusOf.set(r.order_no, r.status);
  }

  const diffs: Difference[] = [];
  const add = (kind: DifferenceKind, key: string | number, mysql: unknown, redis: unknown) =>
    diffs.push({ sessionId, kind, key: String(key), mysql, redis });

  // What Redis holds beyond MySQL and is reported (or tolerated) as a reservation of its own:
  // orders still being committed, and strays (whose release also corrects the counters). The
  // counters and claims are compared with these included, so one stray is one difference.
  const unmatched = new Map<string, ReservationRecord>();
  for (const [no, r] of records) {
    if (no in state.reservations) {
      const want = state.reservations[no];
      if (r.st !== "p") add("reservation-state", no, "pending", r.st === "s" ? "sold" : r.st);
      else if (r.q !== want.q || r.u !== want.u || r.t !== want.t) {
        add("reservation-state", no, { u: want.u, t: want.t, q: want.q }, {
          u: r.u,
          t: r.t,
          q: r.q,
        });
      }
      continue;
    }
    const status = statusOf.get(no);
    if (r.st === "s") {
      // A paid order's record is kept after confirm (idempotency); anything else is wrong.
      if (status !== 1) add("reservation-state", no, status ?? null, "sold");
      continue;
    }
    if (status === 1) {
      // Paid in MySQL, still unpaid here: its confirm is missing (or a compensation pending).
      add("reservation-state", no, "paid", "pending");
      continue;
    }
    unmatched.set(no, r);
    if (status === undefined && r.c > now - graceMs) continue;
    add("reservation-stray", no, status ?? null, { u: r.u, t: r.t, q: r.q, ageMs: now - r.c });
  }
  for (const no of Object.keys(state.reservations)) {
    if (!records.has(no)) add("reservation-missing", no, "pending", null);
  }

  for (const tier of state.tiers) {
    const extra = [...unmatched.values()].filter((r) => r.t === tier.id);
    const expected = {
      total: tier.total,
      locked: tier.locked + extra.reduce((n, r) => n + r.q, 0),
      sold: tier.sold,
    };
    const h = await hashOf(ctx, k.tier(sessionId, tier.id));
    if (h.total === undefined) {
      add("tier-missing", tier.id, expected, null);
    } else {
      const got = { total: Number(h.total), locked: Number(h.locked), sold: Number(h.sold) };
      if (
        got.total !== expected.total || got.locked !== expected.locked ||
        got.sold !== expected.sold
      ) add("tier", tier.id, expected, got);
    }
    const wantBuyers: Record<string, number> = { ...tier.buyers };
    for (const r of extra) {
      if (r.q > 0) wantBuyers[String(r.u)] = (wantBuyers[String(r.u)] ?? 0) + r.q;
    }
    const gotBuyers = await hashOf(ctx, k.tierBuyers(sessionId, tier.id));
    const users = new Set([...Object.keys(wantBuyers), ...Object.keys(gotBuyers)]);
    const differing: Record<string, { mysql: number; redis: number }> = {};
    for (const u of users) {
      const want = wantBuyers[u] ?? 0;
      const got = Number(gotBuyers[u] ?? 0);
      if (want !== got) differing[u] = { mysql: want, redis: got };
    }
    if (Object.keys(differing).length) {
      add(
        "buyers",
        tier.id,
        Object.fromEntries(Object.entries(differing).map(([u, v]) => [u, v.mysql])),
        Object.fromEntries(Object.entries(differing).map(([u, v]) => [u, v.redis])),
      );
    }
  }

  const wantClaims: Record<string, string> = { ...state.claims };
  for (const [no, r] of unmatched) for (const slot of r.s ?? []) wantClaims[slot] = `${no}|p`;
  const gotClaims = await hashOf(ctx, k.claims(sessionId));
  for (const slot of new Set([...Object.keys(wantClaims), ...Object.keys(gotClaims)])) {
    if (wantClaims[slot] !== gotClaims[slot]) {
      add("claim", slot, wantClaims[slot] ?? null, gotClaims[slot] ?? null);
    }
  }

  const disabledKey = k.disabledSeats(sessionId);
  const gotDisabled = new Set(
    await ctx.redis.send<string[]>(["SMEMBERS", disabledKey], disabledKey),
  );
  const wantDisabled = new Set(state.disabled.map(String));
  for (const seat of new Set([...wantDisabled, ...gotDisabled])) {
    if (wantDisabled.has(seat) !== gotDisabled.has(seat)) {
      add("disabled", seat, wantDisabled.has(seat), gotDisabled.has(seat));
    }
  }

  // Holds expire by their TTL. One without a TTL never would; one on a slot that is in an order
  // or disabled blocks nothing useful and only misleads a reader.
  const holdPrefix = k.hold(sessionId, "");
  await ctx.redis.scan(`${escapeGlob(holdPrefix)}*`, async (keys) => {
    for (const key of keys) {
      const slot = key.slice(holdPrefix.length);
      const ttl = Number(await ctx.redis.send(["PTTL", key], key));
      const seat = /^(\d+)/.exec(slot)?.[1] ?? slot;
      if (ttl === -1) add("hold-stray", key, null, "no expiry");
      else if (slot in gotClaims) add("hold-stray", key, null, `slot in order ${gotClaims[slot]}`);
      else if (gotDisabled.has(seat)) add("hold-stray", key, null, "seat disabled");
    }
  });
  return diffs;
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
        const ticketId = row?.ticket_id ?? (d.redis as { t: number }).t;
        await releaseReservation(ctx, { orderNo: d.key, sessionId, ticketId });
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

async function hashOf(ctx: AppContext, key: string): Promise<Record<string, string>> {
  const flat = await ctx.redis.send<string[]>(["HGETALL", key], key);
  const out: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) out[flat[i]] = flat[i + 1];
  return out;
}
