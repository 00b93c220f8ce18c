/**
 * Sweeps of stray holds. Hold keys lapse by their own TTL; what is left to sweep are holds that
 * lost their TTL (they would never lapse) and holds on slots now in an order or disabled. Found
 * through each session's hold index (lua/hold-seats.lua), never by a SCAN of the keyspace.
 */
import type { AppContext } from "#lib/platform/context.ts";
import { readSlots } from "./live_state.ts";
import { strayHoldReason } from "./slots.ts";

/**
 * Deletes stray holds of a session: hold keys on seats that are disabled or in an order, and
 * hold keys that lost their TTL (they would never lapse). Reads the session's hold index, oldest
 * entries first, never the keyspace: at most `batch` entries per call; entries whose hold is gone
 * leave the index.
 */
export async function sweepStrayHolds(
  ctx: AppContext,
  sessionId: number,
  batch = 1000,
): Promise<{ scanned: number; removed: number }> {
  const index = ctx.keys.sessionHolds(sessionId);
  const slots = await ctx.redis.send<string[]>(
    ["ZRANGE", index, "0", String(batch - 1)],
    index,
  );
  let removed = 0;
  if (!slots.length) return { scanned: 0, removed };
  const states = await readSlots(ctx, sessionId, slots);
  const gone: string[] = [];
  for (let i = 0; i < slots.length; i++) {
    const key = ctx.keys.hold(sessionId, slots[i]);
    const ttl = Number(await ctx.redis.send(["PTTL", key], key));
    if (ttl === -2) {
      gone.push(slots[i]);
      continue;
    }
    const { state } = states[i];
    const inOrder = state === "sold" || state === "pending";
    const stray = strayHoldReason(ttl, {
      claim: inOrder ? state : null,
      disabled: state === "disabled",
    });
    if (stray !== null) removed += Number(await ctx.redis.send(["DEL", key], key));
  }
  // An entry whose hold lapsed or was taken into an order; a hold made since re-adds it.
  if (gone.length) await dropGone(ctx, sessionId, gone);
  return { scanned: slots.length, removed };
}

/** Index entries of holds that are gone, removed unless the slot was held again meanwhile. */
async function dropGone(ctx: AppContext, sessionId: number, slots: string[]): Promise<void> {
  const index = ctx.keys.sessionHolds(sessionId);
  for (const slot of slots) {
    const key = ctx.keys.hold(sessionId, slot);
    if (Number(await ctx.redis.send(["EXISTS", key], key)) === 0) {
      await ctx.redis.send(["ZREM", index, slot], index);
    }
  }
}

/**
 * The release-holds job: hold keys lapse by their own TTL, so what is left to sweep are stray
 * holds (no TTL, or on seats now in an order or disabled) of sessions that sell seats and are
 * not over. Bounded: at most `batch` hold keys looked at per run.
 */
export async function sweepExpiredHolds(
  ctx: AppContext,
  batch: number,
): Promise<{ sessions: number; scanned: number; removed: number }> {
  const sessions = await ctx.db.rows<{ session_id: number }>(
    `SELECT DISTINCT a.session_id FROM seat_areas a
       JOIN sessions se ON se.id = a.session_id AND se.deleted_at IS NULL
      WHERE a.deleted_at IS NULL AND se.end_time > ?
      ORDER BY a.session_id LIMIT 500`,
    [new Date(ctx.now())],
  );
  const total = { sessions: 0, scanned: 0, removed: 0 };
  for (const { session_id } of sessions) {
    if (total.scanned >= batch) break;
    const ready = ctx.keys.sessionReady(session_id);
    // A session Redis lost has no holds to sweep; it is rebuilt on its next use.
    if (Number(await ctx.redis.send(["EXISTS", ready], ready)) === 0) continue;
    const r = await sweepStrayHolds(ctx, session_id, batch - total.scanned);
    total.sessions++;
    total.scanned += r.scanned;
    total.removed += r.removed;
  }
  return total;
}
