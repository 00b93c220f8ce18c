/**
 * The live state of slots in Redis, read in one round trip by read-slots.lua: the session's
 * claims hash (slot → order), its disabled seats set, and one key per hold with a TTL, so an
 * abandoned hold lapses by itself. What each state means is lua/includes/slots.lua's to say.
 */
import type { AppContext } from "#lib/platform/context.ts";
import { readSlotsScript } from "#lib/sale/calls.ts";
import { NOT_BUILT } from "#lib/sale/replies.ts";
import { withBuiltSession } from "#lib/sale/session_rebuild.ts";
import { decodeSlotStates, type SlotState } from "./slots.ts";

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
  const read = () => readSlotsScript(ctx, sessionId, slots);
  const reply = options.rebuild ? await withBuiltSession(ctx, sessionId, read) : await read();
  return reply === NOT_BUILT ? null : decodeSlotStates(reply, slots.length);
}
