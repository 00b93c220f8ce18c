import { defineRawRoute } from "#http/route.ts";
import { METRICS_CONTENT_TYPE, metricsText } from "#lib/platform/metrics.ts";

export const GET = defineRawRoute({
  summary: "Prometheus metrics of this process, as GET /metrics (admin)",
  auth: "admin",
  produces: "text/plain",
  handler: async ({ c, ctx }) =>
    c.body(await metricsText(ctx), 200, { "content-type": METRICS_CONTENT_TYPE }),
});
