/** Schemas shared by the seat routes (a helper, not a route). */
import { z } from "#deps";
import { Id, TimeOut } from "#http/schemas.ts";

/** Seat ids of a request; the 1-10 rule is checked with the seats (lib/seating/areas.ts). */
export const SeatIds = z.array(Id).max(100);

export const SeatSelection = z.object({
  sessionId: Id.optional(),
  seatIds: SeatIds,
});

// (the hold reply schema lives in lock.ts)
export const HoldResult = z.object({
  seatIds: z.array(z.number().int()),
  expireTime: TimeOut,
}).openapi("SeatHold");
