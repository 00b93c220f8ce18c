import { staticAssetsRoute } from "#http/static_assets.ts";
import appCss from "../../web/app.css" with { type: "text" };
import appJs from "../../web/app.js" with { type: "text" };

export const GET = staticAssetsRoute({
  summary: "An asset of the buyer's page",
  what: "page asset",
  // Short-lived: the page changes with the service, and it is small.
  maxAgeSeconds: 60,
  assets: {
    "app.css": ["text/css; charset=utf-8", appCss],
    "app.js": ["text/javascript; charset=utf-8", appJs],
  },
});
