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
 * The state of many slots of a session: one call of READ_CHUNK slots after the other (each is
 * atomic; together they are not a snapshot, which no reader needs). One after the other, not
 * together: this process's other commands share the connection, and a hold or a create must not
 * wait behind every chunk of a large area. A session Redis lost is rebuilt from MySQL first,
 * unless `rebuild` is false: then null says it is not built.
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
    // One argument, not one a slot: node-redis encodes a thousand arguments piece by piece.
    const packed = chunk.join(",");
    const read = () => readSlotsScript(ctx, sessionId, packed);
    const reply = options.rebuild ? await withBuiltSession(ctx, sessionId, read) : await read();
    if (reply === NOT_BUILT) return null;
    const states = decodeSlotStates(reply, chunk.length);
    if (chunk === slots) return states;
    for (const s of states) out.push(s);
  }
  return out;
}

/**
 * Slots read in one script call: a bounded command, and a bounded time inside Redis (a call of a
 * thousand mostly held seats takes about a millisecond there; one of ten thousand held Redis, and
 * every buyer behind it, for up to 37 ms in bench mixed).
 */
export const READ_CHUNK = 1_000;
