import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { setSeatStatus } from "#lib/seating/area_admin.ts";
import { SeatIds } from "./_schemas.ts";

export const PUT = defineRoute({
  summary: "Disable (0) or enable (1) seats (admin); the tier's stock follows",
  auth: "admin",
  body: z.object({ seatIds: SeatIds, status: z.union([z.literal(0), z.literal(1)]) }),
  data: z.literal(true),
  handler: ({ ctx, body }) => setSeatStatus(ctx, body.seatIds, body.status),
});
