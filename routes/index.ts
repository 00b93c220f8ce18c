import { defineRawRoute } from "#http/route.ts";
import page from "../web/index.html" with { type: "text" };

// The buyer's page: static files of web/, embedded in the binary, no CDN (see routes/web/).
export const GET = defineRawRoute({
  summary: "The buyer's page: shows, seat map, best seats, hourly booking, orders",
  tags: ["operations"],
  auth: "public",
  produces: "text/html",
  handler: ({ c }) => c.html(page),
});
