import { defineRawRoute } from "#http/route.ts";
import { METRICS_CONTENT_TYPE, metricsText } from "#lib/platform/metrics.ts";

export const GET = defineRawRoute({
  summary: "Prometheus metrics of this process (text exposition format)",
  description: "HTTP requests by route template and status, latency histograms, order events, " +
    "sold-out rejections, seat holds, Redis script latency, MySQL pool, job runs, compensation " +
    "backlog. Meant for a scraper on the private network: keep it off the public load balancer.",
  tags: ["operations"],
  auth: "public",
  produces: "text/plain",
  handler: async ({ c, ctx }) =>
    c.body(await metricsText(ctx), 200, { "content-type": METRICS_CONTENT_TYPE }),
});
