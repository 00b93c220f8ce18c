import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { IdParam, TicketRecord } from "#http/schemas.ts";
import { deleteTicket, getTicket, updateTicket } from "#lib/catalog/tickets.ts";
import { TicketChanges } from "./_schemas.ts";

export const GET = defineRoute({
  summary: "One tier",
  auth: "public",
  params: z.object({ ticketId: IdParam }),
  data: TicketRecord,
  handler: ({ ctx, params }) => getTicket(ctx, params.ticketId),
});

export const PUT = defineRoute({
  summary: "Change a tier (admin); every field optional",
  description: "totalStock may not go below what is locked or sold (409).",
  auth: "admin",
  params: z.object({ ticketId: IdParam }),
  body: TicketChanges,
  data: z.null(),
  handler: async ({ ctx, params, body }) => {
    await updateTicket(ctx, params.ticketId, body);
    return null;
  },
});

export const DELETE = defineRoute({
  summary: "Delete a tier (admin)",
  description: "The tier stops selling; orders already made keep pointing at it.",
  auth: "admin",
  params: z.object({ ticketId: IdParam }),
  data: z.null(),
  handler: async ({ ctx, params }) => {
    await deleteTicket(ctx, params.ticketId);
    return null;
  },
});
