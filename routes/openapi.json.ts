import { defineRawRoute } from "#http/route.ts";

export const GET = defineRawRoute({
  summary: "This API's OpenAPI 3.1 document",
  tags: ["operations"],
  auth: "public",
  produces: "application/json",
  handler: ({ c }) => c.json(c.get("openapi")() as Record<string, unknown>),
});
