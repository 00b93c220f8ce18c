import { defineRawRoute } from "#http/route.ts";

// Swagger UI, with every asset served by this service: no CDN, works offline.
const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>boxoffice API</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
  <div id="ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>
`;

export const GET = defineRawRoute({
  summary: "Interactive API documentation",
  tags: ["operations"],
  auth: "public",
  produces: "text/html",
  handler: ({ c }) => c.html(PAGE),
});
