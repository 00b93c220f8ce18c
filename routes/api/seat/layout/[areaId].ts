import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { IdParam, intQuery, TimeOut } from "#http/schemas.ts";
import { getLayout } from "#lib/seating/layout.ts";

const Layout = z.object({
  areaId: z.number().int(),
  areaName: z.string(),
  sessionId: z.number().int(),
  totalRows: z.number().int(),
  totalCols: z.number().int(),
  totalSeats: z.number().int(),
  availableSeats: z.number().int(),
  seats: z.array(z.object({
    id: z.number().int(),
    seatCode: z.string(),
    rowNum: z.number().int(),
    seatNum: z.number().int(),
    xCoordinate: z.number().int(),
    yCoordinate: z.number().int(),
    status: z.number().int().openapi({
      description: "0 disabled, 1 available, 2 held or in an unpaid order, 3 sold",
    }),
    lockStatus: z.number().int().openapi({ description: "0 free, 1 held, 2 in an order" }),
    price: z.number(),
    lockExpireTime: TimeOut.nullable(),
    lockedByCurrentUser: z.boolean(),
  })),
}).openapi("SeatLayout");

export const GET = defineRoute({
  summary: "An area's seats with each one's live status for the caller",
  auth: "optional",
  params: z.object({ areaId: IdParam }),
  query: z.object({
    sessionId: intQuery(1, Number.MAX_SAFE_INTEGER).optional(),
    showId: z.string().optional(),
  }),
  data: Layout,
  handler: ({ ctx, params, query, caller }) =>
    getLayout(ctx, params.areaId, query.sessionId, caller?.userId),
});
