import { swaggerUiBundle, swaggerUiCss, z } from "#deps";
import { defineRawRoute } from "#http/route.ts";
import { notFound } from "#lib/platform/errors.ts";

const INIT = `window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#ui",
  deepLinking: true,
  persistAuthorization: true,
});
`;

const ASSETS: Record<string, [string, string]> = {
  "swagger-ui.css": ["text/css; charset=utf-8", swaggerUiCss],
  "swagger-ui-bundle.js": ["text/javascript; charset=utf-8", swaggerUiBundle],
  "init.js": ["text/javascript; charset=utf-8", INIT],
};

export const GET = defineRawRoute({
  summary: "An asset of the docs page",
  tags: ["operations"],
  auth: "public",
  produces: "text/plain",
  params: z.object({ asset: z.string() }),
  handler: ({ c, params }) => {
    const asset = Object.hasOwn(ASSETS, params.asset) ? ASSETS[params.asset] : undefined;
    if (!asset) throw notFound(`docs asset ${params.asset}`);
    const [type, body] = asset;
    return c.body(body, 200, { "content-type": type, "cache-control": "public, max-age=3600" });
  },
});
