/**
 * Availability of a venue booked by the hour (`GET /api/seat/availability`): per seat of an
 * area, the busy hours of one or more local days, held or booked, and whether they are the
 * caller's. One Redis round trip for all of it, and bounded: an area of a venue booked by the
 * hour only, at most AVAILABILITY_MAX_SLOTS seat-hours per request (400 naming the cap beyond).
 */
import type { AppContext } from "#lib/platform/context.ts";
import { invalid } from "#lib/platform/errors.ts";
import { areaWithSeats } from "./areas.ts";
import { dayHours, HOUR } from "./hour_windows.ts";
import { readSlots } from "./live_state.ts";
import { slotOf } from "./slots.ts";

export interface SeatAvailability {
  id: number;
  seatCode: string;
  busy: { start: Date; end: Date; state: "held" | "booked"; mine: boolean }[];
}

/**
 * Per seat of an area, the busy hours of a local day (or of `days` days from it): held or
 * booked, and whether the caller holds or booked them.
 */
export async function areaAvailability(
  ctx: AppContext,
  input: { areaId: number; sessionId?: number; date: string; days?: number },
  callerId: number | undefined,
): Promise<{ areaId: number; date: string; days: number; seats: SeatAvailability[] }> {
  const { area, seats } = await areaWithSeats(ctx, input.areaId);
  if (input.sessionId !== undefined && input.sessionId !== area.sessionId) {
    throw invalid("sessionId", `area ${input.areaId} is not an area of session ${input.sessionId}`);
  }
  if (!area.hourly) {
    throw invalid("areaId", `area ${area.id} is not booked by the hour: see its seat layout`);
  }
  const days = input.days ?? 1;
  const { from, to, hourStarts } = dayHours(input.date, days);
  const sellable = seats.filter((s) => !s.disabled);
  // Bounded work per request: seats × hours read from Redis, and a reply of that size.
  const cap = ctx.config.availabilityMaxSlots;
  const asked = sellable.length * hourStarts.length;
  if (asked > cap) {
    const fit = Math.floor(cap / sellable.length / 24);
    throw invalid(
      "days",
      `${sellable.length} seats × ${hourStarts.length} hours is ${asked} seat-hours, over the ` +
        `cap of ${cap} per request (AVAILABILITY_MAX_SLOTS)` +
        (fit >= 1 ? `: ask for at most ${fit} day(s) of this area` : ""),
    );
  }
  const slots = sellable.flatMap((seat) => hourStarts.map((h) => slotOf(seat.id, h)));
  const states = slots.length ? await readSlots(ctx, area.sessionId, slots) : [];
  // Who booked: claims name orders; the caller's own bookings are looked up once, on the
  // primary (a lagging replica would not show a booking the caller has just made as theirs).
  const mineBooked = callerId === undefined ? new Set<string>() : new Set(
    (await ctx.db.rows<{ slot: string }>(
      `SELECT c.slot FROM seat_claims c JOIN orders o ON o.id = c.order_id
        WHERE c.session_id = ? AND o.user_id = ? AND c.seat_id IN (${
        sellable.map(() => "?").join(", ") || "NULL"
      }) AND o.booking_start < ? AND o.booking_end > ?`,
      [area.sessionId, callerId, ...sellable.map((s) => s.id), new Date(to), new Date(from)],
    )).map((r) => r.slot),
  );
  const out = sellable.map((seat, si) => {
    const busy: SeatAvailability["busy"] = [];
    hourStarts.forEach((h, hi) => {
      const st = states[si * hourStarts.length + hi];
      if (st.state === "free") return;
      const state = st.state === "held" ? "held" : "booked";
      const mine = state === "held"
        ? st.holder === callerId && callerId !== undefined
        : mineBooked.has(slotOf(seat.id, h));
      const last = busy[busy.length - 1];
      if (last && last.end.getTime() === h && last.state === state && last.mine === mine) {
        last.end = new Date(h + HOUR);
      } else busy.push({ start: new Date(h), end: new Date(h + HOUR), state, mine });
    });
    return { id: seat.id, seatCode: seat.seatCode, busy };
  });
  return { areaId: area.id, date: input.date, days, seats: out };
}
