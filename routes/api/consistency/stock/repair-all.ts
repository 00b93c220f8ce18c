import { defineRoute } from "#http/route.ts";
import { checkAllTiers } from "#lib/ops/stock_consistency.ts";
import { AllConsistency } from "./_schemas.ts";

export const POST = defineRoute({
  summary: "Repair every active session toward MySQL, as POST /api/admin/consistency/repair " +
    "(admin)",
  auth: "admin",
  data: AllConsistency,
  handler: ({ ctx }) => checkAllTiers(ctx, true),
});
