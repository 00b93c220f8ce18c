import { defineRoute } from "#http/route.ts";
import { performanceStats } from "#lib/ops/stock_monitor.ts";
import { Performance } from "./_schemas.ts";

export const GET = defineRoute({
  summary: "Reply times, request rate and MySQL connections in use of this process (admin)",
  description: "From the http_request_duration_seconds histogram: the mean is exact, min and max " +
    "are the bounds of the fastest and slowest non-empty buckets (ms). requestsPerSecond is " +
    "measured since the previous call of this route (at least 1 s before), else since start.",
  auth: "admin",
  data: Performance,
  handler: ({ ctx }) => performanceStats(ctx),
});
