import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { intQuery } from "#http/schemas.ts";
import { sweepStrayHolds } from "#lib/seating/sweeps.ts";

export const POST = defineRoute({
  summary: "Delete stray seat holds of a session (on seats in orders or disabled, or without TTL)",
  auth: "admin",
  query: z.object({ sessionId: intQuery(1, Number.MAX_SAFE_INTEGER) }),
  data: z.object({ scanned: z.number().int(), removed: z.number().int() }),
  handler: ({ ctx, query }) => sweepStrayHolds(ctx, query.sessionId),
});
