/**
 * Password attempts (logins and password changes) are counted per account and per client
 * address in fixed windows. Each attempt is counted BEFORE its password is checked, so thirty
 * attempts sent at once are thirty counts and only the first few reach the password check. A
 * success gives its counts back, so a busy office behind one address is throttled only by its
 * failures.
 *
 * The account is the one the database resolves (its id), so every spelling that MySQL's
 * collation folds onto one username (case, trailing spaces, width, accents) shares one counter.
 * A name that matches no account is counted under its folded form.
 */
import type { AppContext } from "#lib/platform/context.ts";
import { AppError } from "#lib/platform/errors.ts";

/** What identifies the account an attempt is for: a user id, or the folded name of nobody. */
export type AttemptAccount = { userId: number } | { unknownName: string };

/** The counters one attempt added to; give them back with `forgiveAttempt` on success. */
export interface Attempt {
  accountKey: string;
  addressKey: string;
}

/**
 * Counts one attempt for the account and the address, then throws 429 when either is past its
 * limit. The count stays either way: a refused attempt is still an attempt.
 */
export async function countAttempt(
  ctx: AppContext,
  account: AttemptAccount,
  address: string,
): Promise<Attempt> {
  const { config, keys } = ctx;
  const attempt: Attempt = {
    accountKey: keys.loginFailuresByAccount(
      "userId" in account ? `id:${account.userId}` : `name:${foldUsername(account.unknownName)}`,
    ),
    addressKey: keys.loginFailuresByAddress(address),
  };
  const windowMs = config.loginWindowSeconds * 1000;
  // Two keys of different slots: two calls (each atomic), sent together.
  const [byAccount, byAddress] = await Promise.all([
    countOne(ctx, attempt.accountKey, windowMs),
    countOne(ctx, attempt.addressKey, windowMs),
  ]);
  for (
    const [[count, ttl], max] of [
      [byAccount, config.loginMaxFailures],
      [byAddress, config.loginMaxFailuresPerIp],
    ] as const
  ) {
    if (count > max) {
      const retryAfter = Math.max(1, Math.ceil(ttl / 1000));
      throw new AppError("RATE_LIMITED", `too many failed attempts, retry in ${retryAfter} s`, {
        retryAfter,
      });
    }
  }
  return attempt;
}

/** A successful attempt: the account starts afresh, the address gets its one count back. */
export async function forgiveAttempt(ctx: AppContext, attempt: Attempt): Promise<void> {
  await Promise.all([
    ctx.redis.send(["DEL", attempt.accountKey], attempt.accountKey),
    ctx.scripts.run("count-failure", [attempt.addressKey], [
      ctx.config.loginWindowSeconds * 1000,
      -1,
    ]),
  ]);
}

async function countOne(ctx: AppContext, key: string, windowMs: number): Promise<[number, number]> {
  const reply = await ctx.scripts.run("count-failure", [key], [windowMs]) as [number, number];
  return [Number(reply[0]), Number(reply[1])];
}

/**
 * A username as MySQL's utf8mb4_unicode_ci compares it: case, width and accents folded,
 * trailing spaces ignored (PAD SPACE). Only used for names that match no account, so an
 * approximation errs on the side of sharing a counter.
 */
export function foldUsername(name: string): string {
  return name.normalize("NFKD").replace(/\p{M}+/gu, "").toLowerCase().replace(/ +$/, "");
}

/** Registrations per address (REGISTER_MAX_PER_IP; 0: not counted). Counted before hashing. */
export async function countRegistration(ctx: AppContext, address: string): Promise<void> {
  const max = ctx.config.registerMaxPerIp;
  if (max === 0) return;
  const [count, ttl] = await countOne(
    ctx,
    ctx.keys.registrationsByAddress(address),
    ctx.config.loginWindowSeconds * 1000,
  );
  if (count > max) {
    const retryAfter = Math.max(1, Math.ceil(ttl / 1000));
    throw new AppError("RATE_LIMITED", `too many registrations, retry in ${retryAfter} s`, {
      retryAfter,
    });
  }
}
