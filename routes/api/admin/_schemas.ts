import { z } from "#deps";
import { TimeOut } from "#http/schemas.ts";

const Counts = z.record(z.string(), z.number());

export const JobRun = z.object({
  job: z.string(),
  outcome: z.enum(["ok", "failed", "skipped"]),
  reason: z.string().optional(),
  startedAt: TimeOut,
  finishedAt: TimeOut,
  counts: Counts,
  error: z.string().optional(),
  instance: z.string(),
}).openapi("JobRun");

export const JobsStatus = z.object({
  jobs: z.array(z.object({
    name: z.string(),
    schedule: z.string(),
    description: z.string(),
    lastRun: z.object({
      startedAt: TimeOut,
      finishedAt: TimeOut.nullable(),
      outcome: z.enum(["running", "ok", "failed", "skipped"]),
      counts: Counts.nullable(),
      error: z.string().nullable(),
      instance: z.string(),
    }).nullable(),
    lastSkippedAt: TimeOut.nullable(),
  })),
  stuckCompensations: z.array(z.object({
    id: z.number().int(),
    action: z.string(),
    orderNo: z.string(),
    sessionId: z.number().int(),
    ticketId: z.number().int(),
    attempts: z.number().int(),
    lastError: z.string().nullable(),
    createdAt: TimeOut,
    updatedAt: TimeOut,
  })),
}).openapi("JobsStatus");

const Difference = z.object({
  sessionId: z.number().int(),
  kind: z.string().openapi({ example: "tier" }),
  key: z.string(),
  mysql: z.unknown(),
  redis: z.unknown(),
});

export const ConsistencyReport = z.object({
  sessions: z.number().int(),
  notBuilt: z.array(z.number().int()),
  differences: z.array(Difference),
  repaired: z.object({
    rebuilt: z.array(z.number().int()),
    released: z.array(z.string()),
    holdsDeleted: z.number().int(),
    remaining: z.array(Difference),
  }).optional(),
}).openapi("ConsistencyReport");
