import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { Id, Time, TimeOut } from "#http/schemas.ts";
import { requireQueuePass } from "#lib/queue/gate.ts";
import { holdBestSeats } from "#lib/seating/best.ts";

export const POST = defineRoute({
  summary: "Best available: hold the best free block of 1-10 seats for the caller",
  description: "Picks and holds, in one atomic step, `count` adjacent seats of one row (of " +
    "`areaId`, or of the session's first area that has room), as a seat lock would hold them. " +
    "Score of a seat: its distance to the front centre, sqrt((rowNum - 1)² + (seatNum - " +
    "(cols + 1) / 2)²) in seat widths; a block scores the mean of its seats; lower is better, " +
    "ties go to the nearer row, then the lower seat number. A block that would leave a single " +
    "free seat alone between taken seats, a gap or a row's end is taken only when no other " +
    "block is free. With `adjacent: false` and no adjacent block free, the best seats anywhere " +
    "in the area. Nothing suitable: 409 SEAT_UNAVAILABLE. Hourly venues: `startTime` and " +
    "`hours` give the window, and a seat counts as free when all its hours are.",
  auth: "user",
  body: z.object({
    sessionId: Id,
    areaId: Id.optional(),
    count: z.number().int().min(1).max(10),
    adjacent: z.boolean().optional(),
    startTime: Time.optional(),
    hours: z.number().int().optional(),
  }),
  data: z.object({
    areaId: z.number().int(),
    seatIds: z.array(z.number().int()),
    seats: z.array(z.object({
      id: z.number().int(),
      seatCode: z.string(),
      rowNum: z.number().int(),
      seatNum: z.number().int(),
    })),
    startTime: TimeOut.optional(),
    endTime: TimeOut.optional(),
    expireTime: TimeOut,
  }).openapi("BestSeats"),
  handler: async ({ ctx, caller, body, c }) => {
    await requireQueuePass(ctx, caller, body.sessionId, c.req.header("x-queue-pass"));
    return await holdBestSeats(ctx, caller.userId, body);
  },
});
