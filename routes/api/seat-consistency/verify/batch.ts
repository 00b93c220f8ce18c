import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { Id } from "#http/schemas.ts";
import { verifySeats } from "#lib/ops/consistency/seats.ts";
import { Verified } from "../_schemas.ts";

export const POST = defineRoute({
  summary: "Check seats; when Redis disagrees, rebuild the session from MySQL (admin)",
  auth: "admin",
  body: z.object({ sessionId: Id.optional(), seatIds: z.array(Id).max(100) }),
  data: Verified,
  handler: ({ ctx, body }) => verifySeats(ctx, body.seatIds, body.sessionId),
});
