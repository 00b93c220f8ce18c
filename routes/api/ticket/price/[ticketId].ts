import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { IdParam } from "#http/schemas.ts";
import { getTicketPrice } from "#lib/catalog/tickets.ts";

export const GET = defineRoute({
  summary: "The price of a tier",
  auth: "public",
  params: z.object({ ticketId: IdParam }),
  data: z.number(),
  handler: ({ ctx, params }) => getTicketPrice(ctx, params.ticketId),
});
