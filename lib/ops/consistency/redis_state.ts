/**
 * What Redis holds for a session, read as it is (no rebuild), for the consistency checkers to
 * hold against the expected state (expected.ts).
 */
import type { AppContext } from "#lib/platform/context.ts";
import type { ReservationRecord } from "#lib/sale/session_rebuild.ts";

/** Is the session's state built (ready marker present)? A lost one is rebuilt on first use. */
export async function sessionBuilt(ctx: AppContext, sessionId: number): Promise<boolean> {
  const key = ctx.keys.sessionReady(sessionId);
  return Number(await ctx.redis.send(["EXISTS", key], key)) === 1;
}

export async function hashOf(ctx: AppContext, key: string): Promise<Record<string, string>> {
  const flat = await ctx.redis.send<string[]>(["HGETALL", key], key);
  const out: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) out[flat[i]] = flat[i + 1];
  return out;
}

/** The session's reservation records by order number (an unreadable one as an empty record). */
export async function reservationRecords(
  ctx: AppContext,
  sessionId: number,
): Promise<Map<string, ReservationRecord>> {
  const records = new Map<string, ReservationRecord>();
  for (const [no, raw] of Object.entries(await hashOf(ctx, ctx.keys.reservations(sessionId)))) {
    try {
      const r = JSON.parse(raw) as ReservationRecord;
      // Lua's cjson writes an empty table (a general-admission order's slots) as {}, not [].
      records.set(no, { ...r, s: Array.isArray(r.s) ? r.s : [] });
    } catch {
      records.set(no, { u: 0, t: 0, q: 0, st: "p", c: 0, s: [] });
    }
  }
  return records;
}

export async function disabledSeats(ctx: AppContext, sessionId: number): Promise<Set<string>> {
  const key = ctx.keys.disabledSeats(sessionId);
  return new Set(await ctx.redis.send<string[]>(["SMEMBERS", key], key));
}

/**
 * Every hold key of the session with its slot and remaining TTL (-1: none), from the session's
 * hold index (never a SCAN of the keyspace); at most HOLDS_READ, oldest first.
 */
export async function holdKeys(
  ctx: AppContext,
  sessionId: number,
): Promise<{ key: string; slot: string; ttl: number }[]> {
  const index = ctx.keys.sessionHolds(sessionId);
  const slots = await ctx.redis.send<string[]>(
    ["ZRANGE", index, "0", String(HOLDS_READ - 1)],
    index,
  );
  const out: { key: string; slot: string; ttl: number }[] = [];
  for (const slot of slots) {
    const key = ctx.keys.hold(sessionId, slot);
    const ttl = Number(await ctx.redis.send(["PTTL", key], key));
    if (ttl !== -2) out.push({ key, slot, ttl });
  }
  return out;
}

/** Hold index entries one comparison reads at most. */
export const HOLDS_READ = 5_000;
