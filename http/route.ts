/**
 * How a route file declares itself. A file under `routes/` exports one constant per HTTP method
 * (`GET`, `POST`, `PUT`, `DELETE`), each made by `defineRoute`: who may call it, the zod schemas
 * of its path parameters, query and JSON body, the schema of its `data`, and a handler that gets
 * parsed values and returns plain data (the envelope is added for it).
 *
 * ```ts
 * // routes/api/ticket/price/[ticketId].ts  →  GET /api/ticket/price/{ticketId}
 * export const GET = defineRoute({
 *   summary: "Price of a tier",
 *   auth: "public",
 *   params: z.object({ ticketId: Id }),
 *   data: Money,
 *   handler: ({ ctx, params }) => getTicketPrice(ctx, params.ticketId),
 * });
 * ```
 */
import type { Context, z } from "#deps";
import type { AppContext } from "#lib/platform/context.ts";
import type { JsonText } from "#lib/platform/json_text.ts";
import type { ShapeOf } from "#lib/platform/shapes.ts";
import type { Caller } from "#lib/accounts/tokens.ts";

/** public: no token; optional: a valid token is used, a missing or bad one ignored. */
export type Auth = "public" | "optional" | "user" | "admin";

export interface Vars {
  ctx: AppContext;
  traceId: string;
  caller?: Caller;
  /** The route's path template (`/api/order/{id}`), for logs and metrics. */
  route?: string;
  /** Builds the OpenAPI document of the whole app. */
  openapi: () => unknown;
}

export type HonoEnv = { Variables: Vars; Bindings: { remoteAddr?: Deno.NetAddr } };

export interface RouteInput<P, Q, B, A extends Auth> {
  ctx: AppContext;
  c: Context<HonoEnv>;
  params: P;
  query: Q;
  body: B;
  caller: A extends "user" | "admin" ? Caller : Caller | undefined;
  /** The client's address (X-Forwarded-For only with TRUST_PROXY). */
  address: string;
  traceId: string;
}

interface Common<P, Q, B, A extends Auth> {
  summary: string;
  description?: string;
  tags?: string[];
  auth: A;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  /** An absent or empty body is parsed as `{}` instead of being refused. */
  bodyOptional?: boolean;
}

/**
 * A handler's result for the schema `S`: its shape, nothing when the reply's data is null, or
 * JSON text already rendered (checked at run time only, see http/reply_check.ts).
 */
export type ReplyOf<S extends z.ZodType> =
  | ShapeOf<S>
  | (null extends z.output<S> ? undefined | void : never)
  | JsonText;

/**
 * The route's `data` schema is the one declaration of its reply: the handler's result is
 * type-checked against it, the OpenAPI document is built from it, and with
 * BOXOFFICE_CHECK_REPLIES=1 (the test suite) every reply is validated against it.
 */
export interface JsonRoute<P, Q, B, S extends z.ZodType, A extends Auth>
  extends Common<P, Q, B, A> {
  kind: "json";
  data: S;
  handler: (input: RouteInput<P, Q, B, A>) => Promise<ReplyOf<S>> | ReplyOf<S>;
}

export interface RawRoute<P, Q, B, A extends Auth> extends Common<P, Q, B, A> {
  kind: "raw";
  /** Media type of the reply, for the OpenAPI document. */
  produces: string;
  handler: (input: RouteInput<P, Q, B, A>) => Promise<Response> | Response;
}

// deno-lint-ignore no-explicit-any
export type AnyRoute = JsonRoute<any, any, any, any, Auth> | RawRoute<any, any, any, Auth>;

/** A route whose handler returns `data` for the envelope. */
export function defineRoute<
  S extends z.ZodType,
  P = undefined,
  Q = undefined,
  B = undefined,
  A extends Auth = Auth,
>(
  spec: Omit<JsonRoute<P, Q, B, S, A>, "kind">,
): JsonRoute<P, Q, B, S, A> {
  return { kind: "json", ...spec };
}

/** A route that answers with its own Response (HTML, text, a document). */
export function defineRawRoute<P = undefined, Q = undefined, B = undefined, A extends Auth = Auth>(
  spec: Omit<RawRoute<P, Q, B, A>, "kind">,
): RawRoute<P, Q, B, A> {
  return { kind: "raw", ...spec };
}

export const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;
export type Method = typeof METHODS[number];

/** A route file's exports. */
export type RouteModule = Partial<Record<Method, AnyRoute>>;

/** One entry of the generated manifest. */
export interface ManifestEntry {
  /** URL template, `{param}` style. */
  path: string;
  /** The route file, relative to the project root. */
  file: string;
  module: RouteModule;
}
