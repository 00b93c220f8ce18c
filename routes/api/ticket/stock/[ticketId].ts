import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { IdParam, StockView } from "#http/schemas.ts";
import { getStock } from "#lib/catalog/tickets.ts";

export const GET = defineRoute({
  summary: "Stock of a tier: total, locked (unpaid), sold, available",
  auth: "user",
  params: z.object({ ticketId: IdParam }),
  data: StockView,
  handler: ({ ctx, params }) => getStock(ctx, params.ticketId),
});
