/**
 * Load shedding: past `limit` requests in flight in this process, a request is answered 503
 * UNAVAILABLE with `Retry-After` at once instead of queueing behind the others, so the requests
 * being served keep their latency and clients back off instead of timing out and retrying.
 * Liveness, readiness and metrics are never shed: an overloaded process is not a dead one.
 * A request carrying a waiting-room pass (`X-Queue-Pass`) is shed only past twice the limit, so
 * the buyers a room admitted keep going while the crowd still waiting is turned away; a forged
 * header gains little, as the pass is checked (in process) before any store is asked.
 */
import { AppError } from "#lib/platform/errors.ts";
import { recordShedRequest } from "#lib/platform/metrics.ts";
import { requestTraceId } from "#lib/platform/tracing.ts";
import { errorResponse } from "./envelope.ts";

const EXEMPT = new Set(["/api/health", "/api/ready", "/metrics"]);
const RETRY_AFTER_SECONDS = 1;

export interface LoadShedder {
  /** The 503 for a request refused now, or undefined: admitted (then `done()` when it is). */
  refuse(path: string, headers: Headers): Response | undefined;
  done(): void;
}

/** `limit` 0: no limit. */
export function loadShedder(limit: number): LoadShedder {
  let inFlight = 0;
  return {
    refuse(path, headers) {
      if (
        limit > 0 && inFlight >= limit && !EXEMPT.has(path) &&
        (inFlight >= 2 * limit || !headers.get("x-queue-pass"))
      ) {
        recordShedRequest();
        return errorResponse(
          new AppError("UNAVAILABLE", "the service is busy, retry shortly", {
            retryAfter: RETRY_AFTER_SECONDS,
          }),
          { "x-trace-id": requestTraceId(headers) },
        );
      }
      inFlight++;
      return undefined;
    },
    done() {
      inFlight--;
    },
  };
}
