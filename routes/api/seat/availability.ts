import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { intQuery, TimeOut } from "#http/schemas.ts";
import { areaAvailability } from "#lib/seating/availability.ts";

export const GET = defineRoute({
  summary: "Hourly venues: per seat of an area, the busy hours of a day (or of `days` days)",
  description: "Only areas of a venue booked by the hour (others 400). At most " +
    "AVAILABILITY_MAX_SLOTS (default 10,000) seat-hours (sellable seats × hours) per request: " +
    "beyond it 400 naming the cap; ask for fewer days.",
  auth: "optional",
  query: z.object({
    areaId: intQuery(1, Number.MAX_SAFE_INTEGER),
    sessionId: intQuery(1, Number.MAX_SAFE_INTEGER).optional(),
    date: z.string().max(10),
    days: intQuery(1, 7).optional(),
  }),
  data: z.object({
    areaId: z.number().int(),
    date: z.string(),
    days: z.number().int(),
    seats: z.array(z.object({
      id: z.number().int(),
      seatCode: z.string(),
      busy: z.array(z.object({
        start: TimeOut,
        end: TimeOut,
        state: z.enum(["held", "booked"]),
        mine: z.boolean(),
      })),
    })),
  }),
  handler: ({ ctx, query, caller }) => areaAvailability(ctx, query, caller?.userId),
});
