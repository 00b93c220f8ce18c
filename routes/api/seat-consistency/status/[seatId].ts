import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { IdParam, intQuery } from "#http/schemas.ts";
import { seatConsistency } from "#lib/ops/consistency/seats.ts";
import { SeatConsistency } from "../_schemas.ts";

export const GET = defineRoute({
  summary: "One seat in Redis and MySQL side by side (admin)",
  auth: "admin",
  params: z.object({ seatId: IdParam }),
  query: z.object({ sessionId: intQuery(1, Number.MAX_SAFE_INTEGER).optional() }),
  data: SeatConsistency,
  handler: async ({ ctx, params, query }) =>
    (await seatConsistency(ctx, [params.seatId], query.sessionId))[0],
});
