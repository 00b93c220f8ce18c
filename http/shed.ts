/**
 * Load shedding: past `limit` requests in flight in this process, a request is answered 503
 * UNAVAILABLE with `Retry-After` at once instead of queueing behind the others, so the requests
 * being served keep their latency and clients back off instead of timing out and retrying.
 * Liveness, readiness and metrics are never shed: an overloaded process is not a dead one.
 */
import type { MiddlewareHandler } from "#deps";
import { AppError } from "#lib/platform/errors.ts";
import { recordShedRequest } from "#lib/platform/metrics.ts";
import { requestTraceId } from "#lib/platform/tracing.ts";
import { errorResponse } from "./envelope.ts";
import type { HonoEnv } from "./route.ts";

const EXEMPT = new Set(["/api/health", "/api/ready", "/metrics"]);
const RETRY_AFTER_SECONDS = 1;

/** `limit` 0: no limit. */
export function shedLoad(limit: number): MiddlewareHandler<HonoEnv> {
  let inFlight = 0;
  return async (c, next) => {
    if (limit > 0 && inFlight >= limit && !EXEMPT.has(c.req.path)) {
      recordShedRequest();
      return errorResponse(
        new AppError("UNAVAILABLE", "the service is busy, retry shortly", {
          retryAfter: RETRY_AFTER_SECONDS,
        }),
        { "x-trace-id": requestTraceId(c.req.raw.headers) },
      );
    }
    inFlight++;
    try {
      await next();
    } finally {
      inFlight--;
    }
  };
}
