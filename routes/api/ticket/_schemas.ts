/** Schemas shared by the tier routes (a helper, not a route). */
import { z } from "#deps";
import { Money, text } from "#http/schemas.ts";

/** The fields of a tier an admin may change (also PUT /api/ticket, with the id in the body). */
export const TicketChanges = z.object({
  name: text(1, 100).optional(),
  price: Money.optional(),
  totalStock: z.number().int().min(0).max(1_000_000).optional(),
  limitCount: z.number().int().min(1).max(10).optional(),
  status: z.number().int().min(0).max(1).optional(),
});
