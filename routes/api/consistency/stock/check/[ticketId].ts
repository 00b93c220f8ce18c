import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { IdParam } from "#http/schemas.ts";
import { checkTier } from "#lib/ops/stock_consistency.ts";
import { TierConsistency } from "../_schemas.ts";

export const GET = defineRoute({
  summary: "One tier's stock in Redis and MySQL side by side, with its session's differences " +
    "(admin; nothing is changed)",
  auth: "admin",
  params: z.object({ ticketId: IdParam }),
  data: TierConsistency,
  handler: ({ ctx, params }) => checkTier(ctx, params.ticketId),
});
