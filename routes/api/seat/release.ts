import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { Time } from "#http/schemas.ts";
import { releaseWindow } from "#lib/seating/hourly.ts";
import { releaseSeats } from "#lib/seating/holds.ts";
import { SeatSelection } from "./_schemas.ts";

export const POST = defineRoute({
  summary: "Release the caller's holds on seats (others' holds are untouched)",
  description: "For a venue booked by the hour, `startTime` and `hours` name the seat-hours.",
  auth: "user",
  body: SeatSelection.extend({ startTime: Time.optional(), hours: z.number().optional() }),
  data: z.literal(true),
  handler: ({ ctx, caller, body }) =>
    body.startTime !== undefined
      ? releaseWindow(ctx, caller.userId, { ...body, start: body.startTime })
      : releaseSeats(ctx, caller.userId, body),
});
