/**
 * Load shedding: past `limit` requests in flight in this process, a request is answered 503
 * UNAVAILABLE with `Retry-After` at once instead of queueing behind the others, so the requests
 * being served keep their latency and clients back off instead of timing out and retrying.
 * Liveness, readiness and metrics are never shed: an overloaded process is not a dead one.
 * A request carrying a waiting-room pass (`X-Queue-Pass`) is shed only past twice the limit, so
 * the buyers a room admitted keep going while the crowd still waiting is turned away; a forged
 * header gains little, as the pass is checked (in process) before any store is asked.
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
    if (
      limit > 0 && inFlight >= limit && !EXEMPT.has(c.req.path) &&
      (inFlight >= 2 * limit || !c.req.header("x-queue-pass"))
    ) {
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
