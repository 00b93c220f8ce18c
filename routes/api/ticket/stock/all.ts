import { z } from "../../../../deps.ts";
import { defineRoute } from "../../../../http/route.ts";
import { StockView } from "../../../../http/schemas.ts";
import { listAllStock } from "../../../../lib/tickets.ts";

export const GET = defineRoute({
  summary: "Stock of every live tier (admin)",
  auth: "admin",
  data: z.array(StockView),
  handler: ({ ctx }) => listAllStock(ctx),
});
