/**
 * boxoffice keeps markers that vouch for other keys ("this session's stock is loaded", "this
 * user's revocations are loaded"). A Redis that may evict keys could drop the data and keep its
 * marker — a logged-out token would work again, stock would be read as missing — so the service
 * refuses to start on any policy but `noeviction`, under which Redis refuses writes when full
 * (503 to the client) instead of forgetting.
 */
import { ConfigError } from "./config.ts";
import type { Redis } from "./redis.ts";

/** The `maxmemory_policy` line of `INFO memory`. */
export function evictionPolicyOf(info: string): string | undefined {
  return /^maxmemory_policy:(\S+)/m.exec(info)?.[1];
}

/** Throws ConfigError (exit 2 at boot) unless Redis is set to `noeviction`. */
export async function assertNoEviction(redis: Redis): Promise<void> {
  const info = await redis.send<string>(["INFO", "memory"]);
  const policy = evictionPolicyOf(String(info));
  if (policy !== undefined && policy !== "noeviction") {
    throw new ConfigError(
      "REDIS maxmemory-policy",
      `is "${policy}"; boxoffice needs "noeviction" (an evicted key could un-revoke a token or ` +
        `hide stock): set maxmemory-policy noeviction in redis.conf or with CONFIG SET`,
    );
  }
}
