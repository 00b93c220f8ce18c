import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { IdParam, TicketRecord } from "#http/schemas.ts";
import { getShow } from "#lib/catalog/shows.ts";
import { listTickets } from "#lib/catalog/tickets.ts";

export const GET = defineRoute({
  summary: "The tiers of every session of a show (the reference client's path; = " +
    "GET /api/ticket/list?showId=)",
  auth: "public",
  params: z.object({ showId: IdParam }),
  data: z.array(TicketRecord),
  handler: async ({ ctx, params }) => {
    await getShow(ctx, params.showId);
    return await listTickets(ctx, params.showId);
  },
});
