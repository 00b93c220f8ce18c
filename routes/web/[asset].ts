import { z } from "#deps";
import { defineRawRoute } from "#http/route.ts";
import { notFound } from "#lib/platform/errors.ts";
import appCss from "../../web/app.css" with { type: "text" };
import appJs from "../../web/app.js" with { type: "text" };

const ASSETS: Record<string, [string, string]> = {
  "app.css": ["text/css; charset=utf-8", appCss],
  "app.js": ["text/javascript; charset=utf-8", appJs],
};

export const GET = defineRawRoute({
  summary: "An asset of the buyer's page",
  tags: ["operations"],
  auth: "public",
  produces: "text/plain",
  params: z.object({ asset: z.string() }),
  handler: ({ c, params }) => {
    const asset = Object.hasOwn(ASSETS, params.asset) ? ASSETS[params.asset] : undefined;
    if (!asset) throw notFound(`page asset ${params.asset}`);
    const [type, body] = asset;
    // Short-lived: the page changes with the service, and it is small.
    return c.body(body, 200, { "content-type": type, "cache-control": "public, max-age=60" });
  },
});
