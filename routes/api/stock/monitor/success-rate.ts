import { defineRoute } from "#http/route.ts";
import { successRates } from "#lib/ops/stock_monitor.ts";
import { SuccessRates } from "./_schemas.ts";

export const GET = defineRoute({
  summary: "Success rates of lock, deduct and unlock operations since this process started " +
    "(admin)",
  description: "From this process's request counters: lock = order create and seat holds, " +
    "deduct (confirm) = order pay, unlock (rollback) = order cancel and seat release; a reply " +
    "below 400 is a success. Rates in percent, 0 when nothing was counted.",
  auth: "admin",
  data: SuccessRates,
  handler: ({ ctx }) => successRates(ctx),
});
