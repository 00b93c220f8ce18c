/**
 * Access tokens: HS256 JWTs with `sub` (user id), `role`, `jti`, `iat` and `exp`. A token is
 * refused when its signature, algorithm or expiry is wrong, when it was logged out (its jti is
 * listed in Redis until it would expire anyway), or when the user changed password after it was
 * issued (every other token of that user).
 */
import { setImmediate } from "node:timers";
import { SignJWT } from "#deps";
import type { AppContext } from "#lib/platform/context.ts";
import { AppError } from "#lib/platform/errors.ts";
import { type Claims, verifyHs256 } from "./hs256.ts";
import { revocationViewOf } from "./revocation_view.ts";

export type Role = "user" | "admin";

/** Who is calling, as the token says. */
export interface Caller {
  userId: number;
  role: Role;
  jti: string;
  /** Seconds since the epoch at which the token expires. */
  exp: number;
  /** Milliseconds since the epoch at which the token was issued. */
  issuedAtMs: number;
}

/**
 * A new token for the user. Its user's revocations are loaded into Redis before it is handed
 * out (isRevoked), so that its first use asks MySQL nothing: a buyer who logs in before an
 * on-sale pays that query at login, not in the first create of the on-sale's first second. On
 * this instance its first use asks Redis nothing either.
 */
export async function issueToken(
  ctx: AppContext,
  user: { id: number; role: Role },
): Promise<{ token: string; expiresIn: number }> {
  const epoch = ctx.revocations.epoch();
  await loadRevocations(ctx, user.id);
  const now = ctx.now();
  const jti = crypto.randomUUID();
  const token = await new SignJWT({ role: user.role, ims: now })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(String(user.id))
    .setJti(jti)
    .setIssuedAt(Math.floor(now / 1000))
    .setExpirationTime(Math.floor(now / 1000) + ctx.config.jwtTtlSeconds)
    .sign(ctx.jwtKey);
  // Nothing can have revoked a token not handed out yet: its first use here asks Redis nothing
  // (a buyer who logs in and then buys on this instance). A revocation of the user announced
  // since `epoch` (a password change under way) keeps it from being remembered (watched_facts.ts).
  ctx.revocations.remember(String(user.id), jti, epoch);
  return { token, expiresIn: ctx.config.jwtTtlSeconds };
}

const unauthorized = (why: string) => new AppError("UNAUTHORIZED", why);

/** The caller of a bearer token, or a 401 saying why not. */
export async function verifyToken(ctx: AppContext, token: string): Promise<Caller> {
  let payload = verifiedPayload(ctx, token);
  if (!payload) {
    const verdict = verifyHs256(token, ctx.jwtKey, ctx.now());
    if ("refused" in verdict) {
      throw unauthorized(verdict.refused === "expired" ? "token expired" : "invalid token");
    }
    payload = verdict.claims;
    rememberVerified(ctx, token, payload);
  }
  const userId = Number(payload.sub);
  const role = payload.role;
  const ims = payload.ims;
  if (
    !Number.isSafeInteger(userId) || userId <= 0 || (role !== "user" && role !== "admin") ||
    typeof payload.jti !== "string" || typeof payload.exp !== "number" || typeof ims !== "number"
  ) {
    throw unauthorized("invalid token");
  }
  if (await isRevoked(ctx, userId, payload.jti, ims)) throw unauthorized("token revoked");
  return { userId, role, jti: payload.jti, exp: payload.exp, issuedAtMs: ims };
}

// A token's signature check is a pure function of the token and the key (about 10 µs, and
// 100-160 µs through jose and WebCrypto, which is why hs256.ts does it): remember recent
// results. Expiry is checked at every use, revocation in Redis too.
const VERIFIED_MAX = 20_000;
const verified = new WeakMap<AppContext, Map<string, Claims>>();

function verifiedPayload(ctx: AppContext, token: string): Claims | undefined {
  const payload = verified.get(ctx)?.get(token);
  if (!payload) return undefined;
  if (typeof payload.exp !== "number" || payload.exp * 1000 <= ctx.now()) {
    verified.get(ctx)!.delete(token);
    throw unauthorized("token expired");
  }
  return payload;
}

function rememberVerified(ctx: AppContext, token: string, payload: Claims): void {
  let cache = verified.get(ctx);
  if (!cache) verified.set(ctx, cache = new Map());
  // Oldest first out: a Map iterates in insertion order.
  if (cache.size >= VERIFIED_MAX) cache.delete(cache.keys().next().value!);
  cache.set(token, payload);
}

/**
 * Usually no Redis round trip at all: a token found not revoked is remembered while this process
 * watches the revocation channel, and forgotten as soon as a revocation of its user is announced
 * or the watch drops (lib/platform/watched_facts.ts says why that cannot serve a stale verdict);
 * a token not seen yet is answered from the process's copy of every revocation
 * (revocation_view.ts) once that is loaded. Otherwise one round trip. When Redis has not seen
 * this user's revocations since it started (the marker is missing; issueToken sets it, so mostly
 * after Redis lost its memory), they are loaded from MySQL first: a Redis that lost its memory
 * must not bring logged-out tokens back to life.
 */
async function isRevoked(ctx: AppContext, userId: number, jti: string, ims: number) {
  const group = String(userId);
  if (ctx.revocations.has(group, jti)) return false;
  const known = revocationViewOf(ctx)?.revoked(userId, jti, ims);
  if (known !== undefined) return known;
  const epoch = ctx.revocations.epoch();
  const k = ctx.keys;
  let [revoked, notBefore, loaded] = await ctx.redis.send<(string | null)[]>(
    ["MGET", k.revokedToken(userId, jti), k.tokensNotBefore(userId), k.revocationsLoaded(userId)],
    k.revokedToken(userId, jti),
  );
  if (loaded === null) {
    await loadRevocations(ctx, userId);
    [revoked, notBefore] = await ctx.redis.send<(string | null)[]>(
      ["MGET", k.revokedToken(userId, jti), k.tokensNotBefore(userId)],
      k.revokedToken(userId, jti),
    );
  }
  if (revoked !== null) return true;
  if (notBefore !== null) {
    const [ms, keptJti] = notBefore.split("|");
    if (ims < Number(ms) && jti !== keptJti) return true;
  }
  ctx.revocations.remember(group, jti, epoch);
  return false;
}

/**
 * Loads users' revocations from MySQL into Redis, then marks each user loaded. The users whose
 * first request comes in the same turn of the event loop share one query (a flash crowd of
 * buyers new to this Redis is one query per few hundred, not one each). The query leaves at the
 * end of that turn, not on a 0 ms timer: Deno runs those 1-2 ms later, and in bench mixed (3,000
 * buyers, a third of its authenticated requests a buyer's first) that wait was most of a first
 * request's auth (median 2.5 ms; 0.9 ms at the end of the turn).
 */
function loadRevocations(ctx: AppContext, userId: number): Promise<void> {
  let batch = loadBatches.get(ctx);
  if (!batch || batch.users.size >= LOAD_BATCH_MAX) {
    const users = new Set<number>();
    const started = new Promise<void>((resolve) => setImmediate(resolve));
    const next: LoadBatch = {
      users,
      done: started.then(() => {
        if (loadBatches.get(ctx) === next) loadBatches.delete(ctx);
        return loadRevocationsOf(ctx, [...users]);
      }),
    };
    loadBatches.set(ctx, batch = next);
  }
  batch.users.add(userId);
  return batch.done;
}

interface LoadBatch {
  users: Set<number>;
  done: Promise<void>;
}
const LOAD_BATCH_MAX = 500;
const loadBatches = new WeakMap<AppContext, LoadBatch>();

async function loadRevocationsOf(ctx: AppContext, userIds: number[]): Promise<void> {
  const rows = await ctx.db.rows<
    {
      user_id: number;
      jti: string | null;
      not_before_ms: number | null;
      kept_jti: string | null;
      expires_at: Date;
    }
  >(
    `SELECT user_id, jti, not_before_ms, kept_jti, expires_at FROM token_revocations
      WHERE user_id IN (${userIds.map(() => "?").join(", ")}) AND expires_at > ? ORDER BY id`,
    [...userIds, new Date(ctx.now())],
  );
  // Sent together, in row order (one key's writes keep their order on its connection).
  await Promise.all(rows.map((r) => {
    const ttl = String(Math.max(1, r.expires_at.getTime() - ctx.now()));
    if (r.jti) {
      return ctx.redis.send(["SET", ctx.keys.revokedToken(r.user_id, r.jti), "1", "PX", ttl]);
    }
    if (r.not_before_ms === null) return undefined;
    return ctx.redis.send([
      "SET",
      ctx.keys.tokensNotBefore(r.user_id),
      `${r.not_before_ms}|${r.kept_jti ?? ""}`,
      "PX",
      ttl,
    ]);
  }));
  await Promise.all(userIds.map((userId) =>
    ctx.redis.send([
      "SET",
      ctx.keys.revocationsLoaded(userId),
      "1",
      "EX",
      String(ctx.config.jwtTtlSeconds),
    ])
  ));
}

/** Logout: the token is refused from now until it expires on its own. */
export async function revokeToken(ctx: AppContext, caller: Caller): Promise<void> {
  const ttlMs = caller.exp * 1000 - ctx.now();
  if (ttlMs <= 0) return;
  await ctx.db.exec(
    "INSERT INTO token_revocations (user_id, jti, expires_at) VALUES (?, ?, ?)",
    [caller.userId, caller.jti, new Date(caller.exp * 1000)],
  );
  await announceRevocation(
    ctx,
    caller.userId,
    ctx.keys.revokedToken(caller.userId, caller.jti),
    "1",
    ttlMs,
  );
}

/** Refuses every token of the user issued before now, except the one given (the caller's). */
export async function revokeOtherTokens(ctx: AppContext, caller: Caller): Promise<void> {
  const now = ctx.now();
  const ttlMs = ctx.config.jwtTtlSeconds * 1000;
  await ctx.db.exec(
    `INSERT INTO token_revocations (user_id, not_before_ms, kept_jti, expires_at)
     VALUES (?, ?, ?, ?)`,
    [caller.userId, now, caller.jti, new Date(now + ttlMs)],
  );
  await announceRevocation(
    ctx,
    caller.userId,
    ctx.keys.tokensNotBefore(caller.userId),
    `${now}|${caller.jti}`,
    ttlMs,
  );
}

/**
 * The revocation written to Redis and published in one atomic step; this process forgets the
 * user's tokens at once, without waiting for its own message.
 */
async function announceRevocation(
  ctx: AppContext,
  userId: number,
  key: string,
  value: string,
  ttlMs: number,
): Promise<void> {
  try {
    await ctx.scripts.run("revoke-tokens", [key], [
      value,
      ttlMs,
      ctx.keys.revocationsChannel,
      userId,
    ]);
  } finally {
    ctx.revocations.forgetGroup(String(userId));
  }
}
