/**
 * CORS for the API: what hono/cors did, without its per-request cost. hono/cors touches `c.res`
 * before the route runs (so Hono builds an empty Response, then copies it into the route's) and
 * adds `Vary` through `c.header` afterwards (a third Response): three Responses and their Headers
 * for every request. Here the route's own reply gets the headers, in place.
 */
import type { Context, MiddlewareHandler } from "#deps";

export interface CorsOptions {
  /** The Access-Control-Allow-Origin to answer for a request's Origin, or null: none. */
  origin: (origin: string) => string | null;
  allowMethods: string[];
  allowHeaders: string[];
  exposeHeaders: string[];
  maxAge: number;
}

export function cors(opts: CorsOptions): MiddlewareHandler {
  const methods = opts.allowMethods.join(",");
  const allowHeaders = opts.allowHeaders.join(",");
  const expose = opts.exposeHeaders.join(",");
  const maxAge = String(opts.maxAge);
  return async (c: Context, next) => {
    const allowed = opts.origin(c.req.header("origin") ?? "");
    if (c.req.method === "OPTIONS") {
      const headers = new Headers();
      if (allowed) headers.set("Access-Control-Allow-Origin", allowed);
      headers.set("Access-Control-Expose-Headers", expose);
      headers.append("Vary", "Origin");
      headers.set("Access-Control-Max-Age", maxAge);
      headers.set("Access-Control-Allow-Methods", methods);
      headers.set("Access-Control-Allow-Headers", allowHeaders);
      headers.append("Vary", "Access-Control-Request-Headers");
      return new Response(null, { headers, status: 204, statusText: "No Content" });
    }
    await next();
    let h = c.res.headers;
    try {
      if (allowed) h.set("Access-Control-Allow-Origin", allowed);
    } catch {
      // an immutable Response (e.g. Response.redirect): copy it once, then set
      c.res = new Response(c.res.body, c.res);
      h = c.res.headers;
      if (allowed) h.set("Access-Control-Allow-Origin", allowed);
    }
    h.set("Access-Control-Expose-Headers", expose);
    h.append("Vary", "Origin");
  };
}
