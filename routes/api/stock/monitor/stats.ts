import { defineRoute } from "#http/route.ts";
import { stockStats } from "#lib/ops/stock_monitor.ts";
import { StockStats } from "./_schemas.ts";

export const GET = defineRoute({
  summary: "Stock levels of every tier of sessions not over, from MySQL (admin)",
  description: "stockUtilization is (locked + sold) / total in percent; lowStockCount counts " +
    "tiers with stock left below LOW_STOCK_RATIO of their total.",
  auth: "admin",
  data: StockStats,
  handler: ({ ctx }) => stockStats(ctx),
});
