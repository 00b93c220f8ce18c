import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { Time, TimeOut } from "#http/schemas.ts";
import { holdSeatsOrWindow } from "#lib/seating/hourly.ts";
import { requireQueuePass } from "#lib/queue/gate.ts";
import { SeatSelection } from "./_schemas.ts";

const hold = defineRoute({
  summary: "Hold 1-10 seats for the caller, all or none, for SEAT_HOLD_SECONDS",
  description: "Holding a seat you already hold extends the hold. 409 SEAT_UNAVAILABLE names " +
    "the seats in the way. For a venue booked by the hour, `startTime` and `hours` hold those " +
    "seat-hours; without `startTime` (a walk-in) the seats are held from the start of the " +
    "current hour for `hours` (default 1), and `startTime`/`endTime` say which window. While " +
    "the session's waiting room is on, the buyer's pass goes in X-Queue-Pass (else 403 " +
    "QUEUE_PASS_REQUIRED).",
  auth: "user",
  body: SeatSelection.extend({
    startTime: Time.optional(),
    hours: z.number().optional(),
  }),
  data: z.object({
    seatIds: z.array(z.number().int()),
    startTime: TimeOut.optional(),
    endTime: TimeOut.optional(),
    expireTime: TimeOut,
  }).openapi("SeatHold"),
  handler: async ({ ctx, caller, body, c }) => {
    await requireQueuePass(ctx, caller, body, c.req.header("x-queue-pass"));
    return await holdSeatsOrWindow(ctx, caller.userId, body);
  },
});

export const POST = hold;
export const PUT = hold;
