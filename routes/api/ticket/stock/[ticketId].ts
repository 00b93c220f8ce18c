import { z } from "../../../../deps.ts";
import { defineRoute } from "../../../../http/route.ts";
import { IdParam, StockView } from "../../../../http/schemas.ts";
import { getStock } from "../../../../lib/tickets.ts";

export const GET = defineRoute({
  summary: "Stock of a tier: total, locked (unpaid), sold, available",
  auth: "user",
  params: z.object({ ticketId: IdParam }),
  data: StockView,
  handler: ({ ctx, params }) => getStock(ctx, params.ticketId),
});
