import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { IdParam, TicketRecord } from "#http/schemas.ts";
import { listTickets } from "#lib/catalog/tickets.ts";

export const GET = defineRoute({
  summary: "The tiers of a show, or of one of its sessions",
  auth: "public",
  query: z.object({ showId: IdParam, sessionId: IdParam.optional() }),
  data: z.array(TicketRecord),
  handler: ({ ctx, query }) => listTickets(ctx, query.showId, query.sessionId),
});
