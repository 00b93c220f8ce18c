/**
 * Rebuilding a session's sale state in Redis from MySQL, the system of record. Redis may come
 * back empty (restart, failover, eviction); the reserve script then answers NOT_READY and the
 * caller lands here. One process per session rebuilds, under a lock; the others wait briefly for
 * the ready marker and otherwise answer 503 with Retry-After — never guessing the stock.
 */
import type { AppContext } from "#lib/platform/context.ts";
import type { Queryable } from "#lib/platform/db.ts";
import { unavailable } from "#lib/platform/errors.ts";
import { ACTIVE_STATUSES_SQL, ORDER_STATUS, SETTLED_STATUSES_SQL } from "#lib/orders/status.ts";
import {
  confirmScript,
  rebuildSessionScript,
  releaseLockScript,
  releaseScript,
  type ReservationRecord,
  type SessionState,
} from "./calls.ts";
import { writingSlots } from "./slot_writes.ts";
import { NOT_BUILT, type NotBuilt } from "./replies.ts";

export type { ReservationRecord, SessionState } from "./calls.ts";

const LOCK_MS = 15_000;
const WAIT_MS = 5_000;

/**
 * Runs a script call against a session's sale state: when the call finds the state not built,
 * rebuilds it from MySQL (or waits for the rebuild under way) and calls once more. A state still
 * not built after that is a 503, unless `stillNotBuilt` gives the answer for that case.
 */
export async function withBuiltSession<T>(
  ctx: AppContext,
  sessionId: number,
  call: () => Promise<T | NotBuilt>,
  stillNotBuilt?: () => T,
): Promise<T> {
  const first = await call();
  if (first !== NOT_BUILT) return first;
  await rebuildSession(ctx, sessionId);
  const second = await call();
  if (second !== NOT_BUILT) return second;
  if (stillNotBuilt) return stillNotBuilt();
  throw unavailable(`the sale state of session ${sessionId}`);
}

/** Reads what Redis must hold for one session: tiers, buyers' counts, unpaid orders, seats. */
export async function readSessionState(ctx: AppContext, sessionId: number): Promise<SessionState> {
  // One transaction: every read sees the same snapshot (InnoDB's consistent read), so an order
  // committed in between is in all of them or in none (then adopt-reservation.lua adds it).
  return await ctx.db.tx((db) => readSnapshot(db, sessionId, new Date(ctx.now())));
}

/**
 * readSessionState for a rebuild: the same snapshot, read after counting the session's
 * generation up in the same transaction. The count takes the generation row's exclusive lock
 * before the snapshot is taken (InnoDB takes it at the first plain read), so a group commit
 * holding the row's shared lock (lib/orders/statements.ts) is either in the snapshot or sees the
 * new generation — the fact that lets a create skip its post-commit check (create.ts).
 */
async function readRebuildState(
  ctx: AppContext,
  sessionId: number,
): Promise<{ state: SessionState; generation: number }> {
  return await ctx.db.tx(async (db) => {
    await db.exec(
      `INSERT INTO sale_state_generations (session_id, generation) VALUES (?, 1)
       ON DUPLICATE KEY UPDATE generation = generation + 1`,
      [sessionId],
    );
    const [{ generation }] = await db.rows<{ generation: number }>(
      "SELECT generation FROM sale_state_generations WHERE session_id = ?",
      [sessionId],
    );
    const state = await readSnapshot(db, sessionId, new Date(ctx.now()));
    return { state, generation: Number(generation) };
  });
}

async function readSnapshot(db: Queryable, sessionId: number, now: Date): Promise<SessionState> {
  const tiers = await db.rows<{ id: number; total: number; locked: number; sold: number }>(
    `SELECT t.id, st.total_stock AS total, st.locked_stock AS locked, st.sold_stock AS sold
       FROM tickets t JOIN ticket_stock st ON st.ticket_id = t.id
      WHERE t.session_id = ? ORDER BY t.id`,
    [sessionId],
  );
  const buyers = await db.rows<{ ticket_id: number; user_id: number; n: number }>(
    `SELECT ticket_id, user_id, CAST(SUM(quantity) AS UNSIGNED) AS n FROM orders
      WHERE session_id = ? AND status ${ACTIVE_STATUSES_SQL} AND booking_start IS NULL
      GROUP BY ticket_id, user_id`,
    [sessionId],
  );
  const pending = await db.rows<
    {
      order_no: string;
      user_id: number;
      ticket_id: number;
      quantity: number;
      hourly: number;
      created_at: Date;
    }
  >(
    `SELECT order_no, user_id, ticket_id, quantity, booking_start IS NOT NULL AS hourly, created_at
       FROM orders WHERE session_id = ? AND status = ${ORDER_STATUS.PENDING_PAYMENT}`,
    [sessionId],
  );
  const state: SessionState = {
    tiers: tiers.map((t) => ({ ...t, buyers: {} })),
    reservations: {},
    claims: {},
    disabled: [],
    seatHours: {},
  };
  const byTier = new Map(state.tiers.map((t) => [t.id, t]));
  for (const b of buyers) {
    const tier = byTier.get(b.ticket_id);
    if (tier) tier.buyers[String(b.user_id)] = Number(b.n);
  }
  for (const o of pending) {
    state.reservations[o.order_no] = {
      u: o.user_id,
      t: o.ticket_id,
      q: o.hourly ? 0 : o.quantity,
      st: "p",
      c: o.created_at.getTime(),
      s: [],
    };
  }
  // Seat-hours of bookings that are over are history, not sale state (the prune-past-hours job
  // drops their rows): only seats, and bookings not over yet.
  const claims = await db.rows<{ slot: string; order_no: string; status: number }>(
    `SELECT c.slot, o.order_no, o.status FROM seat_claims c JOIN orders o ON o.id = c.order_id
      WHERE c.session_id = ? AND (o.booking_end IS NULL OR o.booking_end > ?)`,
    [sessionId, now],
  );
  for (const c of claims) {
    state.claims[c.slot] = `${c.order_no}|${c.status === ORDER_STATUS.PAID ? "s" : "p"}`;
    state.reservations[c.order_no]?.s.push(c.slot);
  }
  state.seatHours = unpaidSeatHours(Object.values(state.reservations));
  const disabled = await db.rows<{ id: number }>(
    "SELECT id FROM seats WHERE session_id = ? AND status = 0",
    [sessionId],
  );
  state.disabled = disabled.map((d) => String(d.id));
  return state;
}

/**
 * Seat-hours per buyer in unpaid hourly bookings: the records that count no stock (q 0), one per
 * slot, as reserve.lua counts them.
 */
export function unpaidSeatHours(records: Iterable<ReservationRecord>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of records) {
    if (r.st === "p" && r.q === 0 && r.s.length) {
      out[String(r.u)] = (out[String(r.u)] ?? 0) + r.s.length;
    }
  }
  return out;
}

/**
 * Rebuilds the session unless another process is doing it, in which case this waits for it to
 * finish. Throws 503 (Retry-After) when the state is not ready within a few seconds.
 */
export async function rebuildSession(ctx: AppContext, sessionId: number): Promise<void> {
  const keys = ctx.keys;
  const lock = keys.sessionRebuildLock(sessionId);
  const token = crypto.randomUUID();
  const got = await ctx.redis.send(["SET", lock, token, "NX", "PX", String(LOCK_MS)], lock);
  if (got !== "OK") return await waitUntilReady(ctx, sessionId);
  try {
    // MySQL's clock, as orders' updated_at: this instance's own clock may be off.
    const [{ since, end_time }] = await ctx.db.rows<{ since: Date; end_time: Date | null }>(
      `SELECT NOW(3) - INTERVAL 1 SECOND AS since,
              (SELECT end_time FROM sessions WHERE id = ?) AS end_time`,
      [sessionId],
    );
    const { state, generation } = await readRebuildState(ctx, sessionId);
    const graceMs = ctx.config.sessionKeysGraceSeconds * 1000;
    await writingSlots(
      ctx,
      sessionId,
      { session: true },
      () =>
        rebuildSessionScript(ctx, sessionId, { key: lock, token }, state, {
          at: (end_time?.getTime() ?? 0) + graceMs,
          minMs: graceMs,
        }, generation),
    );
    await settleChangedSince(ctx, sessionId, since);
    ctx.log.info("session rebuilt", {
      sessionId,
      tiers: state.tiers.length,
      reservations: Object.keys(state.reservations).length,
    });
  } finally {
    await releaseLockScript(ctx, lock, token).catch(() => {});
  }
}

/**
 * Orders paid, cancelled or expired while the state was being read: the confirm or release
 * that followed their MySQL commit found no state and did nothing, so do it now (both are
 * idempotent).
 */
async function settleChangedSince(ctx: AppContext, sessionId: number, since: Date) {
  const changed = await ctx.db.rows<
    { order_no: string; ticket_id: number; user_id: number; status: number }
  >(
    `SELECT order_no, ticket_id, user_id, status FROM orders
      WHERE session_id = ? AND updated_at >= ? AND status ${SETTLED_STATUSES_SQL}`,
    [sessionId, since],
  );
  for (const o of changed) {
    const ref = { orderNo: o.order_no, sessionId, ticketId: o.ticket_id, userId: o.user_id };
    const settle = o.status === ORDER_STATUS.PAID ? confirmScript : releaseScript;
    await writingSlots(ctx, sessionId, { ticketId: o.ticket_id }, () => settle(ctx, ref));
  }
}

async function waitUntilReady(ctx: AppContext, sessionId: number): Promise<void> {
  const ready = ctx.keys.sessionReady(sessionId);
  const deadline = Date.now() + WAIT_MS;
  while (Date.now() < deadline) {
    if (Number(await ctx.redis.send(["EXISTS", ready], ready)) === 1) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw unavailable(`the sale state of session ${sessionId} is being rebuilt`, undefined, 1);
}

/** Deletes the ready marker so the next request rebuilds the session from MySQL. */
export async function invalidateSession(ctx: AppContext, sessionId: number): Promise<void> {
  const ready = ctx.keys.sessionReady(sessionId);
  await writingSlots(
    ctx,
    sessionId,
    { session: true },
    () => ctx.redis.send(["DEL", ready], ready),
  );
}
