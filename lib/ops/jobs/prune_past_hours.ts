/**
 * prune-past-hours: seat-hours of bookings by the hour that are over leave the hot structures.
 * A seat_claims row exists while its order is unpaid or paid, to make MySQL refuse a second order
 * of the same seat-hour; once the booking has ended nobody can book that hour again (a window
 * starts in the future), so the row — and the claim in the session's Redis claims hash — is
 * history that every rebuild and reconcile would otherwise read forever. The order, its items and
 * its status log stay. Bounded: PRUNE_BATCH rows a run, oldest bookings first; idempotent.
 */
import type { AppContext } from "#lib/platform/context.ts";
import type { JobCounts } from "./job.ts";

export const PRUNE_BATCH = 5000;
/** A booking is history this long after its end (clocks of instances may differ a little). */
const GRACE_MS = 10 * 60_000;

export async function prunePastHours(ctx: AppContext, signal: AbortSignal): Promise<JobCounts> {
  const rows = await ctx.db.rows<{ session_id: number; slot: string }>(
    `SELECT c.session_id, c.slot FROM seat_claims c JOIN orders o ON o.id = c.order_id
      WHERE o.booking_end IS NOT NULL AND o.booking_end <= ?
      ORDER BY o.booking_end LIMIT ?`,
    [new Date(ctx.now() - GRACE_MS), PRUNE_BATCH],
  );
  const bySession = new Map<number, string[]>();
  for (const r of rows) {
    let slots = bySession.get(r.session_id);
    if (!slots) bySession.set(r.session_id, slots = []);
    slots.push(r.slot);
  }
  const counts = { rows: 0, claims: 0 };
  for (const [sessionId, slots] of bySession) {
    if (signal.aborted) break;
    // Redis first: a claim left there after its row is gone would be harmless (the hour is
    // over, reconcile and rebuild ignore it), but the order keeps them in step.
    const claims = ctx.keys.claims(sessionId);
    for (let i = 0; i < slots.length; i += 500) {
      const chunk = slots.slice(i, i + 500);
      counts.claims += Number(await ctx.redis.send(["HDEL", claims, ...chunk], claims));
      const { affectedRows } = await ctx.db.exec(
        `DELETE FROM seat_claims WHERE session_id = ? AND slot IN (${
          chunk.map(() => "?").join(", ")
        })`,
        [sessionId, ...chunk],
      );
      counts.rows += affectedRows;
    }
  }
  return counts;
}
