import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { IdParam, Money, text, TicketRecord } from "#http/schemas.ts";
import { deleteTicket, getTicket, updateTicket } from "#lib/catalog/tickets.ts";

/** The fields of a tier an admin may change (also PUT /api/ticket, with the id in the body). */
export const TicketChanges = z.object({
  name: text(1, 100).optional(),
  price: Money.optional(),
  totalStock: z.number().int().min(0).max(1_000_000).optional(),
  limitCount: z.number().int().min(1).max(10).optional(),
  status: z.number().int().min(0).max(1).optional(),
});

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
