import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { IdParam } from "#http/schemas.ts";
import { repairTier } from "#lib/ops/stock_consistency.ts";
import { TierConsistency } from "../_schemas.ts";

export const POST = defineRoute({
  summary: "Rebuild a tier's session in Redis from MySQL when they differ (admin)",
  description: "Replies with the tier's state after the repair and `repaired: true` when a " +
    "rebuild was done.",
  auth: "admin",
  params: z.object({ ticketId: IdParam }),
  data: TierConsistency,
  handler: ({ ctx, params }) => repairTier(ctx, params.ticketId),
});
