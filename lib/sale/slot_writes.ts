/**
 * What this process's writes of the sale may have changed among a session's slots, told to the
 * process-local caches of live slot state (lib/seating/live_cache.ts), so that they drop exactly
 * what became stale and nothing else: an order of a tier without seats, a payment, a step of the
 * waiting room change no seat, and must not cost a seat map its cache.
 *
 * Told after the write, whatever its outcome (a script that timed out may still have run).
 */
import type { AppContext } from "#lib/platform/context.ts";

export type SlotWrite =
  /** These slots (seat ids, or "seatId@hour"). */
  | { slots: readonly string[] }
  /** Some slots of the tier's orders, which ones is not known here (a release, a confirm). */
  | { ticketId: number }
  /** Anything of the session (a rebuild, a best-seats hold). */
  | { session: true };

export type SlotWriteObserver = (keyPrefix: string, sessionId: number, write: SlotWrite) => void;

export const slotWriteObservers = new Set<SlotWriteObserver>();

export function noteSlotWrite(ctx: AppContext, sessionId: number, write: SlotWrite): void {
  if ("slots" in write && write.slots.length === 0) return;
  for (const observe of slotWriteObservers) observe(ctx.keys.prefix, sessionId, write);
}

/** Runs a write, then tells the observers what it may have changed. */
export async function writingSlots<T>(
  ctx: AppContext,
  sessionId: number,
  write: SlotWrite,
  run: () => Promise<T>,
): Promise<T> {
  try {
    return await run();
  } finally {
    noteSlotWrite(ctx, sessionId, write);
  }
}
