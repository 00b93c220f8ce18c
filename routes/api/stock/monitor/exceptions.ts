import { defineRoute } from "#http/route.ts";
import { exceptionStats } from "#lib/ops/stock_monitor.ts";
import { Exceptions } from "./_schemas.ts";

export const GET = defineRoute({
  summary: "Failures since this process started, by cause (admin)",
  description: "stockInsufficientCount: orders refused SOLD_OUT; concurrencyConflictCount: seat " +
    "holds refused because another buyer had the seat; systemErrorCount: replies 500; " +
    "networkErrorCount: replies 503 (a store unavailable).",
  auth: "admin",
  data: Exceptions,
  handler: ({ ctx }) => exceptionStats(ctx),
});
