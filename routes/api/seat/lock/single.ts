import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { intQuery } from "#http/schemas.ts";
import { holdSeats } from "#lib/seating/holds.ts";
import { requireQueuePass } from "#lib/queue/gate.ts";
import { HoldResult } from "../_schemas.ts";

export const POST = defineRoute({
  summary: "Hold one seat (query seatId, sessionId)",
  description: "While the session's waiting room is on, the buyer's pass goes in X-Queue-Pass " +
    "(else 403 QUEUE_PASS_REQUIRED).",
  auth: "user",
  query: z.object({
    seatId: intQuery(1, Number.MAX_SAFE_INTEGER),
    sessionId: intQuery(1, Number.MAX_SAFE_INTEGER).optional(),
  }),
  data: HoldResult,
  handler: async ({ ctx, caller, query, c }) => {
    const seats = { sessionId: query.sessionId, seatIds: [query.seatId] };
    await requireQueuePass(ctx, caller, seats, c.req.header("x-queue-pass"));
    return await holdSeats(ctx, caller.userId, seats);
  },
});
