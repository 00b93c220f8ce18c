import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { Time } from "#http/schemas.ts";
import { releaseSeatsOrWindow } from "#lib/seating/hourly.ts";
import { SeatSelection } from "./_schemas.ts";

export const POST = defineRoute({
  summary: "Release the caller's holds on seats (others' holds are untouched)",
  description: "For a venue booked by the hour, `startTime` and `hours` name the seat-hours; " +
    "without `startTime`, every hour the caller holds of those seats is released.",
  auth: "user",
  body: SeatSelection.extend({ startTime: Time.optional(), hours: z.number().optional() }),
  data: z.literal(true),
  handler: ({ ctx, caller, body }) => releaseSeatsOrWindow(ctx, caller.userId, body),
});
