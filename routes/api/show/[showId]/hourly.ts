import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { IdParam } from "#http/schemas.ts";
import { getHourlySettings, updateHourlySettings } from "#lib/catalog/hourly_venues.ts";

const HH = z.string().regex(/^\d\d:\d\d$/, "HH:mm");
const Settings = z.object({
  openFrom: HH,
  openTo: HH,
  nightFrom: HH,
  nightTo: HH,
  maxHours: z.number().int().min(1).max(24),
  horizonDays: z.number().int().min(1).max(366),
}).openapi("HourlySettings");

export const GET = defineRoute({
  summary: "An hourly venue's settings: opening hours, night window, longest booking, horizon",
  auth: "public",
  params: z.object({ showId: IdParam }),
  data: Settings,
  handler: ({ ctx, params }) => getHourlySettings(ctx, params.showId),
});

export const PUT = defineRoute({
  summary: "Change an hourly venue's settings (admin); every field optional",
  auth: "admin",
  params: z.object({ showId: IdParam }),
  body: Settings.partial(),
  data: Settings,
  handler: ({ ctx, params, body }) => updateHourlySettings(ctx, params.showId, body),
});
