/**
 * CORS for the API: what hono/cors did, without its per-request cost. hono/cors touches `c.res`
 * before the route runs (so Hono builds an empty Response, then copies it into the route's) and
 * adds `Vary` through `c.header` afterwards (a third Response): three Responses and their Headers
 * for every request. Here the route's own reply gets the headers, in place.
 */
export interface CorsOptions {
  /** The Access-Control-Allow-Origin to answer for a request's Origin, or null: none. */
  origin: (origin: string) => string | null;
  allowMethods: string[];
  allowHeaders: string[];
  exposeHeaders: string[];
  maxAge: number;
}

export interface CorsPolicy {
  /** The answer to a preflight (OPTIONS) request from `origin`. */
  preflight(origin: string): Response;
  /** The CORS headers of an ordinary reply to `origin`; the reply again (a copy if immutable). */
  apply(res: Response, origin: string): Response;
}

export function corsPolicy(opts: CorsOptions): CorsPolicy {
  const methods = opts.allowMethods.join(",");
  const allowHeaders = opts.allowHeaders.join(",");
  const expose = opts.exposeHeaders.join(",");
  const maxAge = String(opts.maxAge);
  return {
    preflight(origin) {
      const allowed = opts.origin(origin);
      const headers = new Headers();
      if (allowed) headers.set("Access-Control-Allow-Origin", allowed);
      headers.set("Access-Control-Expose-Headers", expose);
      headers.append("Vary", "Origin");
      headers.set("Access-Control-Max-Age", maxAge);
      headers.set("Access-Control-Allow-Methods", methods);
      headers.set("Access-Control-Allow-Headers", allowHeaders);
      headers.append("Vary", "Access-Control-Request-Headers");
      return new Response(null, { headers, status: 204, statusText: "No Content" });
    },
    apply(res, origin) {
      const allowed = opts.origin(origin);
      let h = res.headers;
      try {
        if (allowed) h.set("Access-Control-Allow-Origin", allowed);
      } catch {
        // an immutable Response (e.g. Response.redirect): copy it once, then set
        res = new Response(res.body, res);
        h = res.headers;
        if (allowed) h.set("Access-Control-Allow-Origin", allowed);
      }
      h.set("Access-Control-Expose-Headers", expose);
      h.append("Vary", "Origin");
      return res;
    },
  };
}
