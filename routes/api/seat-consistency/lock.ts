import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { TimeOut } from "#http/schemas.ts";
import { holdSeatsOrWindow } from "#lib/seating/hourly.ts";
import { OperatorBody, OperatorQuery, operatorSeats } from "./_operator.ts";

export const POST = defineRoute({
  summary: "Hold seats on behalf of the operator (admin)",
  description: "The same atomic hold as POST /api/seat/lock, held by the calling admin: all or " +
    "none, for SEAT_HOLD_SECONDS; 409 SEAT_UNAVAILABLE names the seats in the way.",
  auth: "admin",
  query: OperatorQuery,
  body: OperatorBody,
  bodyOptional: true,
  data: z.object({
    seatIds: z.array(z.number().int()),
    startTime: TimeOut.optional(),
    endTime: TimeOut.optional(),
    expireTime: TimeOut,
  }),
  handler: ({ ctx, caller, query, body }) => {
    const input = operatorSeats(query, body);
    return holdSeatsOrWindow(ctx, caller.userId, input);
  },
});
