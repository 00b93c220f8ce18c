import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { intQuery } from "#http/schemas.ts";
import { holdSeats } from "#lib/seating/holds.ts";
import { HoldResult } from "../_schemas.ts";

export const POST = defineRoute({
  summary: "Hold one seat (query seatId, sessionId)",
  auth: "user",
  query: z.object({
    seatId: intQuery(1, Number.MAX_SAFE_INTEGER),
    sessionId: intQuery(1, Number.MAX_SAFE_INTEGER).optional(),
  }),
  data: HoldResult,
  handler: ({ ctx, caller, query }) =>
    holdSeats(ctx, caller.userId, { sessionId: query.sessionId, seatIds: [query.seatId] }),
});
