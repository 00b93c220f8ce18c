/**
 * Redis steps that could not be done after MySQL had committed (release the tickets of a
 * cancelled order, confirm a paid one) are written here and retried with exponential backoff
 * until they succeed; after COMPENSATION_MAX_ATTEMPTS failures a record waits for a human
 * (status 'stuck', visible in the admin API and logged). Nothing is ever dropped.
 */
import type { AppContext } from "#lib/platform/context.ts";
import { errorFields } from "#lib/platform/log.ts";
import {
  confirmReservation,
  releaseReservation,
  type ReservationRef,
} from "#lib/sale/stock_gate.ts";

export type CompensationAction = "release" | "confirm";

const BASE_DELAY_MS = 2_000;
const MAX_DELAY_MS = 10 * 60_000;

export async function recordCompensation(
  ctx: AppContext,
  action: CompensationAction,
  ref: ReservationRef,
  cause: unknown,
): Promise<void> {
  await ctx.db.exec(
    `INSERT INTO compensations
       (action, order_no, user_id, session_id, ticket_id, last_error, next_attempt_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
    [
      action,
      ref.orderNo,
      ref.userId,
      ref.sessionId,
      ref.ticketId,
      describe(cause),
      new Date(ctx.now() + BASE_DELAY_MS),
    ],
  );
  ctx.log.warn("compensation recorded", { action, ...ref, ...errorFields(cause) });
}

/** Runs the Redis step now; on failure, records it for the retry job. Never throws for Redis. */
export async function releaseOrCompensate(ctx: AppContext, ref: ReservationRef): Promise<void> {
  try {
    await releaseReservation(ctx, ref);
  } catch (e) {
    await recordCompensation(ctx, "release", ref, e);
  }
}

export async function confirmOrCompensate(ctx: AppContext, ref: ReservationRef): Promise<void> {
  try {
    await confirmReservation(ctx, ref);
  } catch (e) {
    await recordCompensation(ctx, "confirm", ref, e);
  }
}

export interface RetryOutcome {
  attempted: number;
  done: number;
  failed: number;
  stuck: number;
}

/** Retries up to `batch` due records, oldest first. Idempotent: both Redis steps are. */
export async function retryCompensations(ctx: AppContext, batch = 100): Promise<RetryOutcome> {
  const due = await ctx.db.rows<
    {
      id: number;
      action: CompensationAction;
      order_no: string;
      user_id: number | null;
      session_id: number;
      ticket_id: number;
      attempts: number;
    }
  >(
    `SELECT id, action, order_no, user_id, session_id, ticket_id, attempts FROM compensations
      WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`,
    [new Date(ctx.now()), batch],
  );
  const outcome: RetryOutcome = { attempted: due.length, done: 0, failed: 0, stuck: 0 };
  for (const c of due) {
    // A row from before buyers were recorded, of a create that never reached MySQL: its release
    // names nobody and releases nothing; reconcile releases the stray reservation.
    const ref = {
      orderNo: c.order_no,
      sessionId: c.session_id,
      ticketId: c.ticket_id,
      userId: c.user_id ?? 0,
    };
    try {
      if (c.action === "release") await releaseReservation(ctx, ref);
      else await confirmReservation(ctx, ref);
      await ctx.db.exec(
        "UPDATE compensations SET status = 'done', attempts = attempts + 1 WHERE id = ?",
        [c.id],
      );
      outcome.done++;
    } catch (e) {
      const attempts = c.attempts + 1;
      const stuck = attempts >= ctx.config.compensationMaxAttempts;
      const delay = Math.min(BASE_DELAY_MS * 2 ** attempts, MAX_DELAY_MS);
      await ctx.db.exec(
        `UPDATE compensations SET attempts = ?, status = ?, last_error = ?, next_attempt_at = ?
          WHERE id = ?`,
        [attempts, stuck ? "stuck" : "pending", describe(e), new Date(ctx.now() + delay), c.id],
      );
      if (stuck) {
        outcome.stuck++;
        ctx.log.error("compensation needs a human", { id: c.id, action: c.action, ...ref });
      } else outcome.failed++;
    }
  }
  return outcome;
}

export async function compensationBacklog(
  ctx: AppContext,
): Promise<{ pending: number; stuck: number }> {
  const [row] = await ctx.db.rows<{ pending: number; stuck: number }>(
    `SELECT CAST(COALESCE(SUM(status = 'pending'), 0) AS UNSIGNED) AS pending,
            CAST(COALESCE(SUM(status = 'stuck'), 0) AS UNSIGNED) AS stuck
       FROM compensations WHERE status <> 'done'`,
  );
  return { pending: Number(row.pending), stuck: Number(row.stuck) };
}

function describe(e: unknown): string {
  return (e instanceof Error ? `${e.name}: ${e.message}` : String(e)).slice(0, 500);
}
