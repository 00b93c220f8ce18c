import { z } from "../../../deps.ts";
import { defineRoute } from "../../../http/route.ts";
import { releaseSeats } from "../../../lib/seats.ts";
import { SeatSelection } from "./_schemas.ts";

export const POST = defineRoute({
  summary: "Release the caller's holds on seats (others' holds are untouched)",
  auth: "user",
  body: SeatSelection,
  data: z.literal(true),
  handler: ({ ctx, caller, body }) => releaseSeats(ctx, caller.userId, body),
});
