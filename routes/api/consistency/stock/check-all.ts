import { defineRoute } from "#http/route.ts";
import { checkAllTiers } from "#lib/ops/stock_consistency.ts";
import { AllConsistency } from "./_schemas.ts";

export const GET = defineRoute({
  summary: "Redis against MySQL for every active session, as GET /api/admin/consistency " +
    "(admin; nothing is changed)",
  auth: "admin",
  data: AllConsistency,
  handler: ({ ctx }) => checkAllTiers(ctx, false),
});
