import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { Created, Id, intQuery, Money, text } from "#http/schemas.ts";
import { createArea } from "#lib/seating/area_admin.ts";
import { listAreas } from "#lib/seating/area_summaries.ts";

const Area = z.object({
  id: z.number().int(),
  name: z.string(),
  areaCode: z.string(),
  floorLevel: z.number().int(),
  areaType: z.number().int(),
  price: z.number(),
  nightPrice: z.number().nullable(),
  totalSeats: z.number().int(),
  availableSeats: z.number().int(),
  selectable: z.boolean(),
}).openapi("SeatArea");

export const GET = defineRoute({
  summary: "Seat areas of a session with live counts (without sessionId: the show's first)",
  auth: "public",
  query: z.object({
    showId: intQuery(1, Number.MAX_SAFE_INTEGER).optional(),
    sessionId: intQuery(1, Number.MAX_SAFE_INTEGER).optional(),
    showType: z.string().optional(),
  }),
  data: z.array(Area),
  handler: ({ ctx, query }) => listAreas(ctx, { showId: query.showId, sessionId: query.sessionId }),
});

export const POST = defineRoute({
  summary: "Create a seat area with rows × cols seats (admin); the tier's stock follows",
  auth: "admin",
  body: z.object({
    showId: Id,
    sessionId: Id,
    ticketId: Id,
    name: text(1, 100),
    rows: z.number().int().min(1).max(100),
    cols: z.number().int().min(1).max(100),
    price: Money,
    nightPrice: Money.optional(),
    areaType: z.number().int().min(1).max(9).optional(),
    floorLevel: z.number().int().min(-9).max(200).optional(),
    areaCode: z.string().regex(/^[A-Z][A-Z0-9]{0,7}$/, "1-8 capital letters or digits").optional(),
  }),
  data: Created,
  handler: ({ ctx, body }) => createArea(ctx, body),
});
