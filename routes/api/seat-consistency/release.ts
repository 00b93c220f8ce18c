import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { releaseSeatsOrWindow } from "#lib/seating/hourly.ts";
import { OperatorBody, OperatorQuery, operatorSeats } from "./_operator.ts";

export const POST = defineRoute({
  summary: "Release the operator's own holds on seats (admin)",
  description: "The same release as POST /api/seat/release: holds of other buyers are untouched.",
  auth: "admin",
  query: OperatorQuery,
  body: OperatorBody,
  bodyOptional: true,
  data: z.literal(true),
  handler: ({ ctx, caller, query, body }) => {
    const input = operatorSeats(query, body);
    return releaseSeatsOrWindow(ctx, caller.userId, input);
  },
});
