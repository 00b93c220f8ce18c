/**
 * The HTTP application: what every request goes through (shedding, trace id, request log, CORS,
 * body limit), every route of the generated manifest, the OpenAPI registry, and the one place
 * that renders errors into the envelope. Tests call `createApp(ctx).request(...)`; main.ts serves it.
 */
import { type Context, HTTPException, OpenAPIHono, z } from "#deps";
import type { AppContext } from "#lib/platform/context.ts";
import { AppError, isAppError } from "#lib/platform/errors.ts";
import { errorFields } from "#lib/platform/log.ts";
import { recordHttpRequest } from "#lib/platform/metrics.ts";
import { verifyToken } from "#lib/accounts/tokens.ts";
import { OTEL_ON, requestTraceId, traceRequest } from "#lib/platform/tracing.ts";
import { routes as manifest } from "../routes.gen.ts";
import { clientAddress } from "./client_address.ts";
import { corsPolicy } from "./cors.ts";
import {
  acceptsCoding,
  acceptsGzip,
  errorResponse,
  errorSchema,
  successBody,
  successBytes,
  successDeflate,
  successGzip,
  successSchema,
} from "./envelope.ts";
import { parseInput } from "./input.ts";
import { checkRepliesFromEnv, replyMismatch } from "./reply_check.ts";
import { StaticMatchRouter } from "./router.ts";
import { loadShedder } from "./shed.ts";
import { JsonText } from "#lib/platform/json_text.ts";
import type { AnyRoute, HonoEnv, ManifestEntry, Method } from "./route.ts";
import { METHODS } from "./route.ts";

export type App = OpenAPIHono<HonoEnv>;

export interface AppOptions {
  /** Validate every successful reply against its route's `data` schema (default: from env). */
  checkReplies?: boolean;
}

export function createApp(
  ctx: AppContext,
  entries: readonly ManifestEntry[] = manifest,
  options: AppOptions = {},
): App {
  const app = new OpenAPIHono<HonoEnv>({ router: new StaticMatchRouter() });
  const checkReplies = options.checkReplies ?? checkRepliesFromEnv();
  let document: unknown;
  const openapi = () => document ??= openApiDocument(app);

  const shed = loadShedder(ctx.config.maxInFlight);
  const cors = corsPolicy({
    origin: (origin) => allowedOrigin(ctx, origin),
    allowMethods: ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
    allowHeaders: [
      "Authorization",
      "Content-Type",
      "X-Trace-Id",
      "Idempotency-Key",
      "X-Queue-Pass",
    ],
    exposeHeaders: ["X-Trace-Id", "Retry-After"],
    maxAge: 600,
  });

  /** An error thrown by a route, as its reply: an AppError in the envelope, a bug as a 500. */
  const errorReply = (err: unknown, c: Context<HonoEnv>): Response => {
    if (isAppError(err)) {
      if (err.status >= 500) {
        ctx.log.warn("unavailable", {
          traceId: c.get("traceId"),
          ...errorFields(err.cause ?? err),
        });
      }
      return errorResponse(err);
    }
    if (err instanceof HTTPException) {
      const status = err.status;
      const code = status === 413
        ? "PAYLOAD_TOO_LARGE"
        : status === 401
        ? "UNAUTHORIZED"
        : "VALIDATION_FAILED";
      return errorResponse(new AppError(code, err.message || "bad request"));
    }
    // A bug: log it whole, tell the client nothing about it.
    ctx.log.error("unhandled error", {
      traceId: c.get("traceId"),
      ...errorFields(err),
      stack: err instanceof Error ? err.stack : undefined,
    });
    return errorResponse(new AppError("INTERNAL", "internal error"));
  };

  /** The reply of a request past shedding and tracing: preflight, body limit, route, CORS. */
  const answer = async (
    c: Context<HonoEnv>,
    handle: (c: Context<HonoEnv>) => Response | Promise<Response>,
  ): Promise<Response> => {
    const origin = c.req.raw.headers.get("origin") ?? "";
    if (c.req.method === "OPTIONS") return cors.preflight(origin);
    const refused = bodyRefusal(c, ctx.config.bodyLimitBytes);
    let reply: Response;
    if (refused) reply = errorResponse(refused);
    else {
      try {
        reply = await handle(c);
      } catch (e) {
        reply = errorReply(e, c);
      }
    }
    return cors.apply(reply, origin);
  };

  // Everything every request goes through, around its route (every route's handler and the
  // not-found handler call it): load shedding first, so that a shed request costs next to
  // nothing; then the trace id and the request log line around the rest, so that every reply
  // (errors included) has both; CORS; and the body limit. Not a Hono middleware: Hono runs a
  // request that matches one handler without its middleware chain, whose every layer costs a
  // closure and two promises per request.
  const serve = async (
    c: Context<HonoEnv>,
    handle: (c: Context<HonoEnv>) => Response | Promise<Response>,
  ): Promise<Response> => {
    const headers = c.req.raw.headers;
    const shedReply = shed.refuse(c.req.path, headers);
    if (shedReply) return shedReply;
    try {
      const started = performance.now();
      const traceId = requestTraceId(headers);
      c.set("ctx", ctx);
      c.set("traceId", traceId);
      c.set("openapi", openapi);
      // With tracing off, no closures for it (the common case, and every request pays them).
      const res = OTEL_ON
        ? await traceRequest(traceId, c.req.method, () => c.get("route"), () => answer(c, handle))
        : await answer(c, handle);
      res.headers.set("x-trace-id", traceId);
      const route = c.get("route");
      const ms = performance.now() - started;
      recordHttpRequest(c.req.method, route, res.status, ms / 1000);
      // The fields of lib/platform/log.ts's request line, written out: the method is an HTTP
      // token, the route a template of ours and the trace id matched a safe pattern; the path
      // is the client's and is quoted.
      ctx.log.infoRendered(
        "request",
        `"method":"${c.req.method}","path":${JSON.stringify(c.req.path)},"route":${
          route === undefined ? "null" : `"${route}"`
        },"status":${res.status},"ms":${Math.round(ms * 10) / 10},"traceId":"${traceId}",` +
          `"userId":${c.get("caller")?.userId ?? null}`,
      );
      return res;
    } finally {
      shed.done();
    }
  };

  for (const entry of sortForMatching(entries)) {
    for (const method of METHODS) {
      const route = entry.module[method];
      if (route) register(app, serve, method, entry.path, route, checkReplies);
    }
  }

  // A path no route has, and every preflight (OPTIONS has no route of its own).
  app.notFound((c) => serve(c, noRoute));

  // What `serve` does not catch itself (it catches everything a route throws).
  app.onError((err, c) => errorReply(err, c));

  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
  });
  return app;
}

function noRoute(c: Context<HonoEnv>): never {
  throw new AppError("NOT_FOUND", `no route for ${c.req.method} ${c.req.path}`);
}

/** The shared part of every request (createApp's `serve`), around `handle`. */
type Serve = (
  c: Context<HonoEnv>,
  handle: (c: Context<HonoEnv>) => Response | Promise<Response>,
) => Promise<Response>;

function register(
  app: App,
  serve: Serve,
  method: Method,
  path: string,
  route: AnyRoute,
  checkReplies: boolean,
) {
  const honoPath = path.replace(/\{(\w+)\}/g, ":$1");
  app.on(method, honoPath, (c) => serve(c, reply));
  registerDocs(app, method, path, route);

  async function reply(c: Context<HonoEnv>): Promise<Response> {
    const ctx = c.get("ctx");
    c.set("route", path);
    const caller = await authenticate(c.req.header("authorization"), route, ctx);
    if (caller) c.set("caller", caller);
    const input = await parseInput(c, route);
    const handlerInput = {
      ctx,
      c,
      ...input,
      caller,
      address: clientAddress(
        c.req.header("x-forwarded-for"),
        c.env?.remoteAddr?.hostname,
        ctx.config.trustProxyHops,
      ),
      traceId: c.get("traceId"),
    };
    if (route.kind === "raw") return await route.handler(handlerInput);
    const data = await route.handler(handlerInput);
    if (data instanceof JsonText && !checkReplies) {
      // Pre-rendered data: its bytes (and, for a reply many requests share, its gzip) made once.
      const type = { "content-type": "application/json; charset=utf-8" };
      if (!data.shared) return c.body(successBytes(data), 200, type);
      const accepted = c.req.header("accept-encoding");
      if (data.chunked && acceptsCoding(accepted, "deflate")) {
        return c.body(successDeflate(data), 200, {
          ...type,
          "content-encoding": "deflate",
          vary: "Accept-Encoding",
        });
      }
      if (acceptsGzip(accepted)) {
        return c.body(successGzip(data), 200, {
          ...type,
          "content-encoding": "gzip",
          vary: "Accept-Encoding",
        });
      }
      return c.body(successBytes(data), 200, { ...type, vary: "Accept-Encoding" });
    }
    const body = successBody(data, ctx.config.timeZone);
    if (checkReplies) {
      const why = replyMismatch(route.data, body);
      if (why !== undefined) {
        throw new Error(`reply of ${method} ${path} breaks its schema: ${why}`);
      }
    }
    return c.body(body, 200, {
      "content-type": "application/json; charset=utf-8",
    });
  }
}

async function authenticate(header: string | undefined, route: AnyRoute, ctx: AppContext) {
  if (route.auth === "public") return undefined;
  const token = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "")?.[1];
  if (route.auth === "optional") {
    if (!token) return undefined;
    try {
      return await verifyToken(ctx, token);
    } catch (e) {
      if (isAppError(e) && e.code === "UNAUTHORIZED") return undefined;
      throw e;
    }
  }
  if (!token) {
    throw new AppError("UNAUTHORIZED", header ? "malformed Authorization header" : "missing token");
  }
  const caller = await verifyToken(ctx, token);
  if (route.auth === "admin" && caller.role !== "admin") {
    throw new AppError("FORBIDDEN", "this route is for admins");
  }
  return caller;
}

function allowedOrigin(ctx: AppContext, origin: string): string | null {
  const allowed = ctx.config.corsOrigins;
  if (allowed === undefined) {
    // Demo mode lets a locally served web client in; outside it CORS is opt-in.
    if (!ctx.config.demo) return null;
    return /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/.test(origin) ? origin : null;
  }
  if (allowed.includes("*")) return origin || "*";
  return allowed.includes(origin) ? origin : null;
}

/**
 * An announced oversized body is refused before it is read; a chunked one is cut off while it
 * is read (the route's read then fails with the same error). With a length (the usual case) the
 * body is left alone: touching `raw.body` would build a stream object that the read goes through.
 */
function bodyRefusal(c: Context<HonoEnv>, limit: number): AppError | undefined {
  const announced = c.req.header("content-length");
  if (announced !== undefined) return Number(announced) > limit ? tooLarge(limit) : undefined;
  if (c.req.method !== "GET" && c.req.method !== "HEAD") {
    const body = c.req.raw.body;
    if (body) c.req.raw = new Request(c.req.raw, { body: limitStream(body, limit) });
  }
  return undefined;
}

const tooLarge = (limit: number) =>
  new AppError("PAYLOAD_TOO_LARGE", `body: larger than ${limit} bytes`);

function limitStream(body: ReadableStream<Uint8Array>, limit: number): ReadableStream<Uint8Array> {
  let seen = 0;
  return body.pipeThrough(
    new TransformStream({
      transform(chunk, controller) {
        seen += chunk.byteLength;
        if (seen > limit) controller.error(tooLarge(limit));
        else controller.enqueue(chunk);
      },
    }),
  );
}

/**
 * Static segments before parameters, so `/api/order/list` is matched before `/api/order/{id}`.
 */
export function sortForMatching(entries: readonly ManifestEntry[]): ManifestEntry[] {
  const weight = (p: string) => p.split("/").map((s) => (s.startsWith("{") ? "1" : "0")).join("");
  return [...entries].sort((a, b) => {
    const wa = weight(a.path);
    const wb = weight(b.path);
    return wa === wb ? a.path.localeCompare(b.path) : wa.localeCompare(wb);
  });
}

// ------------------------------------------------------------------ OpenAPI

function registerDocs(app: App, method: Method, path: string, route: AnyRoute) {
  const secured = route.auth === "user" || route.auth === "admin";
  app.openAPIRegistry.registerPath({
    method: method.toLowerCase() as "get",
    path,
    summary: route.summary,
    description: route.description,
    tags: route.tags ?? [tagOf(path)],
    security: secured ? [{ bearerAuth: [] }] : undefined,
    request: {
      // deno-lint-ignore no-explicit-any
      params: route.params as any,
      // deno-lint-ignore no-explicit-any
      query: route.query as any,
      body: route.body
        ? {
          required: !route.bodyOptional,
          content: { "application/json": { schema: route.body } },
        }
        : undefined,
    },
    responses: {
      200: route.kind === "json"
        ? {
          description: "success",
          content: { "application/json": { schema: successSchema(route.data) } },
        }
        : { description: "success", content: { [route.produces]: { schema: z.string() } } },
      default: {
        description: "an error, in the envelope",
        content: { "application/json": { schema: errorSchema } },
      },
    },
  });
}

function tagOf(path: string): string {
  const part = path.split("/")[2] ?? "operations";
  return part.startsWith("{") || part === "" ? "operations" : part;
}

function openApiDocument(app: App): unknown {
  return app.getOpenAPI31Document({
    openapi: "3.1.0",
    info: {
      title: "boxoffice",
      version: "1.0.0",
      description: "High-concurrency ticketing backend: shows, tiers, seats, orders. Every reply " +
        "is wrapped in the envelope `{code, message, data, success}`.",
    },
  });
}
