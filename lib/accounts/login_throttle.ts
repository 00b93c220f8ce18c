/**
 * Failed logins are counted per username and per client address in fixed windows; past the
 * limit the login is refused with 429 and the seconds until the window ends. Only failures
 * count, so a busy office behind one address is not throttled for logging in successfully.
 */
import type { AppContext } from "#lib/platform/context.ts";
import { AppError } from "#lib/platform/errors.ts";

/** Throws 429 when either counter is at its limit. */
export async function assertLoginAllowed(
  ctx: AppContext,
  username: string,
  address: string,
): Promise<void> {
  const { config, keys, redis } = ctx;
  for (
    const [key, max] of [
      [keys.loginFailuresByUsername(username), config.loginMaxFailures],
      [keys.loginFailuresByAddress(address), config.loginMaxFailuresPerIp],
    ] as const
  ) {
    const count = Number(await redis.send(["GET", key], key) ?? 0);
    if (count >= max) {
      const ttl = Number(await redis.send(["PTTL", key], key));
      const retryAfter = Math.max(1, Math.ceil(ttl / 1000));
      throw new AppError("RATE_LIMITED", `too many failed logins, retry in ${retryAfter} s`, {
        retryAfter,
      });
    }
  }
}

export async function recordLoginFailure(
  ctx: AppContext,
  username: string,
  address: string,
): Promise<void> {
  const windowMs = ctx.config.loginWindowSeconds * 1000;
  for (
    const key of [
      ctx.keys.loginFailuresByUsername(username),
      ctx.keys.loginFailuresByAddress(address),
    ]
  ) {
    await ctx.scripts.run("count-failure", [key], [windowMs]);
  }
}

export async function clearLoginFailures(ctx: AppContext, username: string): Promise<void> {
  const key = ctx.keys.loginFailuresByUsername(username);
  await ctx.redis.send(["DEL", key], key);
}
