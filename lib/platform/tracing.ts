/**
 * Traces, through Deno's built-in OpenTelemetry (`OTEL_DENO=true`; see the README). Deno makes
 * the HTTP server span of every request (continuing a W3C `traceparent`); this module ties the
 * request's `X-Trace-Id` to it and adds child spans for Redis scripts and MySQL statements.
 * With OpenTelemetry off (OTEL_DENO unset), every function here goes straight to the work: no
 * context, no span objects, nothing per request but the trace id.
 *
 * The X-Trace-Id of a request is, in order: the client's `X-Trace-Id` when well-formed; else the
 * OpenTelemetry trace id (so a log line's traceId finds its trace); else the trace id of a valid
 * `traceparent` header; else a random one. Every span of the request carries it as the
 * attribute `boxoffice.trace_id`.
 */
import { context, SpanStatusCode, trace } from "#deps";

const tracer = trace.getTracer("boxoffice");
const TRACE_ID_KEY = Symbol.for("boxoffice.trace_id");
const GIVEN_TRACE_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;
const INVALID_TRACE = "00000000000000000000000000000000";

/**
 * Deno exports traces only with OTEL_DENO=true (read once: it cannot change in a process). With
 * it off, a request needs no tracing step (http/app.ts skips it).
 */
export const OTEL_ON = (() => {
  try {
    return /^(true|1)$/i.test(Deno.env.get("OTEL_DENO") ?? "");
  } catch {
    return false; // no --allow-env: Deno cannot have been told either
  }
})();

/** The X-Trace-Id of a request with these headers (see the module comment). */
export function requestTraceId(headers: Headers): string {
  const given = headers.get("x-trace-id");
  if (given && GIVEN_TRACE_ID.test(given)) return given;
  if (OTEL_ON) {
    const active = trace.getActiveSpan()?.spanContext().traceId;
    if (active && active !== INVALID_TRACE) return active;
  }
  const traceparent = headers.get("traceparent");
  if (traceparent) {
    const parent = TRACEPARENT.exec(traceparent.trim().toLowerCase());
    if (parent && parent[1] !== INVALID_TRACE && parent[2] !== "0000000000000000") {
      return parent[1];
    }
  }
  return crypto.randomUUID().replaceAll("-", "");
}

/**
 * Runs the rest of a request with its trace id known to child spans, and labels the server
 * span with it and (once routing is done) with the route template.
 */
export async function traceRequest<T>(
  traceId: string,
  method: string,
  route: () => string | undefined,
  next: () => Promise<T>,
): Promise<T> {
  if (!OTEL_ON) return await next();
  const span = trace.getActiveSpan();
  span?.setAttribute("boxoffice.trace_id", traceId);
  try {
    return await context.with(context.active().setValue(TRACE_ID_KEY, traceId), next);
  } finally {
    const template = route();
    if (span && template) {
      span.setAttribute("http.route", template);
      span.updateName(`${method} ${template}`);
    }
  }
}

/** A child span around `fn`, carrying the request's trace id; errors mark it failed. */
export function inSpan<T>(
  name: string,
  attributes: Record<string, string | number>,
  fn: () => Promise<T>,
): Promise<T> {
  if (!OTEL_ON) return fn();
  const traceId = context.active().getValue(TRACE_ID_KEY);
  return tracer.startActiveSpan(name, { attributes }, async (span) => {
    if (typeof traceId === "string") span.setAttribute("boxoffice.trace_id", traceId);
    try {
      return await fn();
    } catch (e) {
      span.setStatus({
        code: SpanStatusCode.ERROR,
        message: e instanceof Error ? e.message : String(e),
      });
      throw e;
    } finally {
      span.end();
    }
  });
}
