/**
 * The Lua scripts of `lua/`, embedded at build time (static text imports, so a `deno compile`
 * binary carries them), with the shared snippets of `lua/includes/` spliced in where a script
 * says `--- @include "includes/name"` (lua_includes.ts), loaded with SCRIPT LOAD at boot and
 * called by EVALSHA. When Redis answers NOSCRIPT (it restarted or failed over and lost its
 * script cache) the script is sent once with EVAL, which runs it and caches it again on that
 * node.
 */
import adoptReservation from "../../lua/adopt-reservation.lua" with { type: "text" };
import confirm from "../../lua/confirm.lua" with { type: "text" };
import countFailure from "../../lua/count-failure.lua" with { type: "text" };
import holdBestSeats from "../../lua/hold-best-seats.lua" with { type: "text" };
import holdSeats from "../../lua/hold-seats.lua" with { type: "text" };
import queueJoin from "../../lua/queue-join.lua" with { type: "text" };
import queueStep from "../../lua/queue-step.lua" with { type: "text" };
import readSlots from "../../lua/read-slots.lua" with { type: "text" };
import rebuildSession from "../../lua/rebuild-session.lua" with { type: "text" };
import releaseHolds from "../../lua/release-holds.lua" with { type: "text" };
import releaseLock from "../../lua/release-lock.lua" with { type: "text" };
import release from "../../lua/release.lua" with { type: "text" };
import renewLease from "../../lua/renew-lease.lua" with { type: "text" };
import reserve from "../../lua/reserve.lua" with { type: "text" };
import revokeTokens from "../../lua/revoke-tokens.lua" with { type: "text" };
import sessionKeys from "../../lua/includes/session_keys.lua" with { type: "text" };
import slots from "../../lua/includes/slots.lua" with { type: "text" };
import { spliceIncludes } from "./lua_includes.ts";
import { timeScript } from "./metrics.ts";
import type { Redis, RedisReply } from "./redis.ts";
import { inSpan } from "./tracing.ts";
import { isReplyError } from "./redis.ts";

/** Include path (relative to `lua/`, no `.lua`) → snippet, as `@include` names it. */
export const INCLUDE_SOURCES: Readonly<Record<string, string>> = {
  "includes/slots": slots,
  "includes/session_keys": sessionKeys,
};

/** Script name (its file name in `lua/`) → source as written, includes not yet spliced. */
export const SCRIPT_FILES = {
  "count-failure": countFailure,
  "reserve": reserve,
  "release": release,
  "confirm": confirm,
  "rebuild-session": rebuildSession,
  "release-lock": releaseLock,
  "hold-seats": holdSeats,
  "release-holds": releaseHolds,
  "read-slots": readSlots,
  "renew-lease": renewLease,
  "adopt-reservation": adoptReservation,
  "hold-best-seats": holdBestSeats,
  "queue-join": queueJoin,
  "queue-step": queueStep,
  "revoke-tokens": revokeTokens,
} as const;

export type ScriptName = keyof typeof SCRIPT_FILES;

/** Script name → the source Redis runs: the file with its includes spliced in. */
export const SCRIPT_SOURCES = Object.fromEntries(
  Object.entries(SCRIPT_FILES).map(([name, source]) => [
    name,
    spliceIncludes(name, source, INCLUDE_SOURCES),
  ]),
) as Record<ScriptName, string>;

export interface Scripts {
  /** Runs a script atomically; `keys[0]` routes it on a cluster (all keys share one slot). */
  run<T extends RedisReply = RedisReply>(
    name: ScriptName,
    keys: string[],
    args: (string | number)[],
  ): Promise<T>;
  /** SHA1 of each script, known once loaded. */
  readonly loaded: boolean;
}

export async function loadScripts(redis: Redis): Promise<Scripts> {
  const shas = new Map<ScriptName, string>();
  for (const [name, source] of Object.entries(SCRIPT_SOURCES) as [ScriptName, string][]) {
    shas.set(name, await redis.loadScript(source));
  }
  const scripts: Scripts = {
    loaded: true,
    async run<T extends RedisReply>(name: ScriptName, keys: string[], args: (string | number)[]) {
      const argv = args.map(String);
      const sha = shas.get(name)!;
      try {
        return await redis.send<T>(
          ["EVALSHA", sha, String(keys.length), ...keys, ...argv],
          keys[0],
        );
      } catch (e) {
        if (!isReplyError(e) || !e.message.startsWith("NOSCRIPT")) throw e;
        return await redis.send<T>(
          ["EVAL", SCRIPT_SOURCES[name], String(keys.length), ...keys, ...argv],
          keys[0],
        );
      }
    },
  };
  return timed(scripts);
}

/** Every `run` observed in `boxoffice_redis_script_seconds{script}` and traced as a child span. */
function timed(scripts: Scripts): Scripts {
  return {
    loaded: scripts.loaded,
    run<T extends RedisReply>(name: ScriptName, keys: string[], args: (string | number)[]) {
      return inSpan(
        `redis EVALSHA ${name}`,
        { "db.system": "redis", "boxoffice.script": name },
        () => timeScript(name, () => scripts.run<T>(name, keys, args)),
      );
    },
  };
}
