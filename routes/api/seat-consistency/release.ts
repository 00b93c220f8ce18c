import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { releaseWindow } from "#lib/seating/hourly.ts";
import { releaseSeats } from "#lib/seating/seats.ts";
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
    return input.startTime !== undefined
      ? releaseWindow(ctx, caller.userId, { ...input, start: input.startTime })
      : releaseSeats(ctx, caller.userId, input);
  },
});
