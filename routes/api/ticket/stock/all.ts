import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { StockView } from "#http/schemas.ts";
import { listAllStock } from "#lib/catalog/tickets.ts";

export const GET = defineRoute({
  summary: "Stock of every live tier (admin)",
  auth: "admin",
  data: z.array(StockView),
  handler: ({ ctx }) => listAllStock(ctx),
});
