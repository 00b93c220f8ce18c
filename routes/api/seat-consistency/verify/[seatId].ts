import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { IdParam, intQuery } from "#http/schemas.ts";
import { verifySeats } from "#lib/ops/consistency/seats.ts";
import { Verified } from "../_schemas.ts";

export const POST = defineRoute({
  summary: "Check one seat; when Redis disagrees, rebuild the session from MySQL (admin)",
  auth: "admin",
  params: z.object({ seatId: IdParam }),
  query: z.object({ sessionId: intQuery(1, Number.MAX_SAFE_INTEGER).optional() }),
  data: Verified,
  handler: ({ ctx, params, query }) => verifySeats(ctx, [params.seatId], query.sessionId),
});
