import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { Id } from "#http/schemas.ts";
import { seatConsistency } from "#lib/ops/consistency/seats.ts";
import { SeatConsistency } from "../_schemas.ts";

export const POST = defineRoute({
  summary: "Seats in Redis and MySQL side by side (admin)",
  auth: "admin",
  body: z.object({ sessionId: Id.optional(), seatIds: z.array(Id).max(100) }),
  data: z.array(SeatConsistency),
  handler: ({ ctx, body }) => seatConsistency(ctx, body.seatIds, body.sessionId),
});
