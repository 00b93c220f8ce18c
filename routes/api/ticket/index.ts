import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { Created, Id, Money, text } from "#http/schemas.ts";
import { createTicket, updateTicket } from "#lib/catalog/tickets.ts";
import { TicketChanges } from "./_schemas.ts";

export const POST = defineRoute({
  summary: "Create a tier of a session (admin)",
  auth: "admin",
  body: z.object({
    showId: Id,
    sessionId: Id,
    name: text(1, 100),
    price: Money,
    totalStock: z.number().int().min(0).max(1_000_000),
    limitCount: z.number().int().min(1).max(10).optional(),
  }),
  data: Created,
  handler: ({ ctx, body }) => createTicket(ctx, body),
});

export const PUT = defineRoute({
  summary: "Change a tier (admin), its id in the body (= PUT /api/ticket/{id})",
  description: "totalStock may not go below what is locked or sold (409).",
  auth: "admin",
  body: TicketChanges.extend({ id: Id }),
  data: z.null(),
  handler: async ({ ctx, body: { id, ...changes } }) => {
    await updateTicket(ctx, id, changes);
    return null;
  },
});
