import { swaggerUiBundle, swaggerUiCss } from "#deps";
import { staticAssetsRoute } from "#http/static_assets.ts";

const INIT = `window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#ui",
  deepLinking: true,
  persistAuthorization: true,
});
`;

export const GET = staticAssetsRoute({
  summary: "An asset of the docs page",
  what: "docs asset",
  maxAgeSeconds: 3600,
  assets: {
    "swagger-ui.css": ["text/css; charset=utf-8", swaggerUiCss],
    "swagger-ui-bundle.js": ["text/javascript; charset=utf-8", swaggerUiBundle],
    "init.js": ["text/javascript; charset=utf-8", INIT],
  },
});
