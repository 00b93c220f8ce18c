import { z } from "#deps";
import { defineRoute } from "#http/route.ts";
import { IdParam, Time, TimeOut } from "#http/schemas.ts";
import { roomReport } from "#lib/queue/admission.ts";
import { putRoom } from "#lib/queue/rooms.ts";

const params = z.object({ sessionId: IdParam });

export const PUT = defineRoute({
  summary: "Turn a session's waiting room on or off, or change it (admin)",
  description: "While it is on, seat holds and order creates of the session need the buyer's " +
    "pass (X-Queue-Pass), else 403 QUEUE_PASS_REQUIRED. Buyers who join before `opensAt` are " +
    "ordered at random at the opening; after it, by arrival. Admission runs at " +
    "`admitPerSecond` across all instances (never more than one second's worth at once) and " +
    "stops while the session has nothing left to sell. Other instances see a change within 2 s.",
  auth: "admin",
  params,
  body: z.object({
    enabled: z.boolean(),
    opensAt: Time.nullable().optional(),
    admitPerSecond: z.number().int().min(1).max(10_000),
    passSeconds: z.number().int().min(60).max(3600).optional().openapi({ default: 600 }),
  }),
  data: z.object({
    sessionId: z.number().int(),
    enabled: z.boolean(),
    opensAt: TimeOut.nullable(),
    admitPerSecond: z.number().int(),
    passSeconds: z.number().int(),
  }).openapi("QueueSettings"),
  handler: ({ ctx, params, body }) => putRoom(ctx, params.sessionId, body),
});

export const GET = defineRoute({
  summary: "A session's waiting room: settings, waiting, admitted, passes in use (admin)",
  description: "`admitted` counts every buyer admitted since the room was first turned on; " +
    "`passesActive` those whose pass is still good. A session that never had a room answers " +
    "`enabled: false` with null settings.",
  auth: "admin",
  params,
  data: z.object({
    sessionId: z.number().int(),
    enabled: z.boolean(),
    opensAt: TimeOut.nullable(),
    admitPerSecond: z.number().int().nullable(),
    passSeconds: z.number().int().nullable(),
    waiting: z.number().int(),
    admitted: z.number().int(),
    admittedLastMinute: z.number().int(),
    passesActive: z.number().int(),
    soldOut: z.boolean(),
    estimatedDrainSeconds: z.number().int().nullable(),
  }).openapi("QueueReport"),
  handler: ({ ctx, params }) => roomReport(ctx, params.sessionId),
});
