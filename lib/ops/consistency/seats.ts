/**
 * Seat consistency (`/api/seat-consistency/...`): MySQL and Redis side by side for seats of one
 * session, judged by the expected slot states of expected.ts, and a repair by rebuilding the
 * session from MySQL when they disagree.
 */
import type { AppContext } from "#lib/platform/context.ts";
import { invalidateSession, rebuildSession } from "#lib/sale/session_rebuild.ts";
import { resolveSeats } from "#lib/seating/areas.ts";
import { readSlots } from "#lib/seating/live_state.ts";
import type { SlotState } from "#lib/seating/slots.ts";
import { expectedSlotStates } from "./expected.ts";

export interface SeatConsistency {
  seatId: number;
  sessionId: number;
  mysql: { disabled: boolean; orderNo: string | null; orderStatus: number | null };
  redis: { built: boolean; state: SlotState["state"] | null; holder: number | null };
  consistent: boolean;
}

/** Redis and MySQL side by side for seats of one session (no rebuild: shows Redis as it is). */
export async function seatConsistency(
  ctx: AppContext,
  seatIds: number[],
  sessionId?: number,
): Promise<SeatConsistency[]> {
  const { sessionId: session, seats } = await resolveSeats(ctx, seatIds, sessionId);
  const claims = await ctx.db.rows<{ seat_id: number; order_no: string; status: number }>(
    `SELECT c.seat_id, o.order_no, o.status FROM seat_claims c JOIN orders o ON o.id = c.order_id
      WHERE c.session_id = ? AND c.slot IN (${seatIds.map(() => "?").join(", ")})`,
    [session, ...seatIds.map(String)],
  );
  const bySeat = new Map(claims.map((c) => [c.seat_id, c]));
  // As Redis has it now: a session it lost is shown as not built, not rebuilt first.
  const states = await readSlots(ctx, session, seats.map((s) => String(s.id)), { rebuild: false });
  const built = states !== null;
  return seats.map((seat, i) => {
    const claim = bySeat.get(seat.id);
    const state = states?.[i].state ?? null;
    const holder = states?.[i].holder ?? null;
    const expected = expectedSlotStates(seat.disabled, claim?.status);
    return {
      seatId: seat.id,
      sessionId: session,
      mysql: {
        disabled: seat.disabled,
        orderNo: claim?.order_no ?? null,
        orderStatus: claim?.status ?? null,
      },
      redis: { built, state, holder },
      consistent: !built || expected.includes(state!),
    };
  });
}

/** Verifies seats and, when Redis disagrees with MySQL, rebuilds the session from MySQL. */
export async function verifySeats(
  ctx: AppContext,
  seatIds: number[],
  sessionId?: number,
): Promise<{ checked: number; repaired: boolean; seats: SeatConsistency[] }> {
  const before = await seatConsistency(ctx, seatIds, sessionId);
  if (before.every((s) => s.consistent)) {
    return { checked: before.length, repaired: false, seats: before };
  }
  const session = before[0].sessionId;
  await invalidateSession(ctx, session);
  await rebuildSession(ctx, session);
  return {
    checked: before.length,
    repaired: true,
    seats: await seatConsistency(ctx, seatIds, session),
  };
}
