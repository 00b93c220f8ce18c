import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { intQuery } from "#http/schemas.ts";
import { releaseSeats } from "#lib/seating/holds.ts";

export const POST = defineRoute({
  summary: "Release the caller's hold on one seat (query seatId, sessionId)",
  auth: "user",
  query: z.object({
    seatId: intQuery(1, Number.MAX_SAFE_INTEGER),
    sessionId: intQuery(1, Number.MAX_SAFE_INTEGER).optional(),
  }),
  data: z.literal(true),
  handler: ({ ctx, caller, query }) =>
    releaseSeats(ctx, caller.userId, { sessionId: query.sessionId, seatIds: [query.seatId] }),
});
