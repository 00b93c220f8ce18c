/**
 * The live state of slots in Redis, read by read-slots.lua: the session's claims hash (slot →
 * order), its disabled seats set, and its holds (one key per hold with a TTL, so an abandoned
 * hold lapses by itself, found through the session's hold index). What each state means is
 * lua/includes/slots.lua's to say. One round trip per READ_CHUNK slots: a layout or an
 * availability (capped at AVAILABILITY_MAX_SLOTS) is one.
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
  const out: SlotState[] = [];
  for (let at = 0; at < slots.length || at === 0; at += READ_CHUNK) {
    const chunk = slots.length <= READ_CHUNK ? slots : slots.slice(at, at + READ_CHUNK);
    const read = () => readSlotsScript(ctx, sessionId, chunk);
    const reply = options.rebuild ? await withBuiltSession(ctx, sessionId, read) : await read();
    if (reply === NOT_BUILT) return null;
    const states = decodeSlotStates(reply, chunk.length);
    if (chunk === slots) return states;
    for (const s of states) out.push(s);
  }
  return out;
}

/** Slots read in one script call: a bounded command and a bounded time inside Redis. */
export const READ_CHUNK = 10_000;
