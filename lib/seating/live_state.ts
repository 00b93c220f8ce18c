/**
 * The live state of slots in Redis, read in one round trip by read-slots.lua: the session's
 * claims hash (slot → order), its disabled seats set, and one key per hold with a TTL, so an
 * abandoned hold lapses by itself. What each state means is lua/includes/slots.lua's to say.
 */
import type { AppContext } from "#lib/platform/context.ts";
import { unavailable } from "#lib/platform/errors.ts";
import { rebuildSession } from "#lib/sale/session_rebuild.ts";
import { decodeSlotStates, type SlotState } from "./slots.ts";

/** The keys read-slots.lua and hold-seats.lua start with: session state, then one hold per slot. */
export function slotKeys(ctx: AppContext, sessionId: number, slots: string[]): string[] {
  const k = ctx.keys;
  return [
    k.sessionReady(sessionId),
    k.claims(sessionId),
    k.disabledSeats(sessionId),
    ...slots.map((slot) => k.hold(sessionId, slot)),
  ];
}

/**
 * The state of many slots of a session in one Redis round trip. A session Redis lost is rebuilt
 * from MySQL first, unless `rebuild` is false: then null says it is not built.
 */
export async function readSlots(
  ctx: AppContext,
  sessionId: number,
  slots: string[],
): Promise<SlotState[]>;
export async function readSlots(
  ctx: AppContext,
  sessionId: number,
  slots: string[],
  options: { rebuild: false },
): Promise<SlotState[] | null>;
export async function readSlots(
  ctx: AppContext,
  sessionId: number,
  slots: string[],
  options: { rebuild: boolean } = { rebuild: true },
): Promise<SlotState[] | null> {
  const keys = slotKeys(ctx, sessionId, slots);
  const read = () => ctx.scripts.run<(string | number)[]>("read-slots", keys, slots);
  const reply = options.rebuild ? await readBuilt(ctx, sessionId, read) : await read();
  if (reply[0] === 0) return null;
  return decodeSlotStates(reply, slots.length);
}

/** Not built → rebuild → read once more (the session's rebuild-and-retry, for read-slots). */
async function readBuilt(
  ctx: AppContext,
  sessionId: number,
  read: () => Promise<(string | number)[]>,
): Promise<(string | number)[]> {
  for (let attempt = 0;; attempt++) {
    const reply = await read();
    if (reply[0] !== 0) return reply;
    if (attempt > 0) throw unavailable(`the sale state of session ${sessionId}`);
    await rebuildSession(ctx, sessionId);
  }
}
