import { defineRoute } from "../../../http/route.ts";
import { holdSeats } from "../../../lib/seats.ts";
import { HoldResult, SeatSelection } from "./_schemas.ts";

const hold = defineRoute({
  summary: "Hold 1-10 seats for the caller, all or none, for SEAT_HOLD_SECONDS",
  description: "Holding a seat you already hold extends the hold. 409 SEAT_UNAVAILABLE names " +
    "the seats in the way.",
  auth: "user",
  body: SeatSelection,
  data: HoldResult,
  handler: ({ ctx, caller, body }) => holdSeats(ctx, caller.userId, body),
});

export const POST = hold;
export const PUT = hold;
