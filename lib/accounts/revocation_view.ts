/**
 * Every token revocation that still matters (not expired), copied from MySQL into process memory
 * while the revocation channel is watched, so that a token's first use on this process asks Redis
 * nothing either. In an on-sale's first second every create is its buyer's first request here:
 * without this copy each one paid a Redis read before its reserve (issue 17).
 *
 * Why the copy cannot accept a revoked token:
 * - it is loaded only after the subscription is confirmed, from the primary (never a replica);
 * - a revocation is committed to MySQL before it is announced (tokens.ts). One committed before
 *   the load's read is in the copy; one committed after it is announced after the subscription
 *   was confirmed, and reaches this process;
 * - an announced user is not answered from the copy any more (the announcement says who, not
 *   what): that user's tokens are asked in Redis, as without the copy;
 * - the subscription dropping (or coming back) throws the copy away and loads a new one, as
 *   WatchedFacts forgets what it remembered: a message missed meanwhile cannot be replayed.
 * Memory stays bounded: past `max` revocations there is no copy (each user is asked in Redis),
 * and once more than CHANGED_MAX users were announced the copy is loaded again. 100,000
 * logged-out tokens take about 7 MB of heap.
 */
import type { AppContext } from "#lib/platform/context.ts";
import { errorFields } from "#lib/platform/log.ts";
import type { FactsListener } from "#lib/platform/watched_facts.ts";

/** One row of token_revocations, as the copy needs it. */
export interface RevocationRow {
  user_id: number | string;
  jti: string | null;
  not_before_ms: number | string | null;
  kept_jti: string | null;
}

interface UserRevocations {
  /** Logged-out tokens. */
  jtis?: Set<string>;
  /** The last password change: tokens issued before `ms` are refused, except `keptJti`. */
  notBefore?: { ms: number; keptJti: string | null };
}

/** Users announced since the load past which the copy is loaded again (the rest ask Redis). */
export const CHANGED_MAX = 1000;

/**
 * The copy itself: pure bookkeeping, fed by the watch (as a FactsListener) and by loads
 * (`beginLoad`, `install`). `wanted` is called when a load should start: the watch came up, or
 * the copy was thrown away while the watch is up.
 */
export class RevocationView implements FactsListener {
  #state: "none" | "loading" | "complete" = "none";
  #generation = 0;
  #live = false;
  #users = new Map<number, UserRevocations>();
  /** Users announced since the load began: their tokens are asked in Redis. */
  #changed = new Set<number>();

  constructor(readonly max: number, private readonly wanted: () => void = () => {}) {}

  get complete(): boolean {
    return this.#state === "complete";
  }

  /** "none" while the watch is up: the last load found more than `max` revocations. */
  get state(): "none" | "loading" | "complete" {
    return this.#state;
  }

  /** Revocations held (for logs and tests). */
  get size(): number {
    let n = 0;
    for (const u of this.#users.values()) n += (u.jtis?.size ?? 0) + (u.notBefore ? 1 : 0);
    return n;
  }

  /**
   * Whether the token is revoked; undefined when the copy cannot say (not loaded, or its user
   * was announced since): then Redis decides.
   */
  revoked(userId: number, jti: string, issuedAtMs: number): boolean | undefined {
    if (this.#state !== "complete" || this.#changed.has(userId)) return undefined;
    const u = this.#users.get(userId);
    if (!u) return false;
    if (u.jtis?.has(jti)) return true;
    const nb = u.notBefore;
    return nb !== undefined && issuedAtMs < nb.ms && jti !== nb.keptJti;
  }

  groupChanged(group: string): void {
    if (this.#state === "none") return;
    this.#changed.add(Number(group));
    if (this.#changed.size > CHANGED_MAX) this.#restart();
  }

  liveChanged(live: boolean): void {
    this.#live = live;
    this.#restart();
  }

  /** A load starts: what it reads may be installed only if nothing resets the copy meanwhile. */
  beginLoad(): number {
    this.#drop();
    this.#state = "loading";
    return this.#generation;
  }

  /**
   * The rows a load read (in id order: a later password change replaces an earlier one, as in
   * Redis). False when they came too late (a reset since `beginLoad`) or are too many.
   */
  install(generation: number, rows: readonly RevocationRow[]): boolean {
    if (generation !== this.#generation || this.#state !== "loading") return false;
    if (rows.length > this.max) {
      this.#drop();
      return false;
    }
    for (const r of rows) {
      // Number(): a user id read as a string would never match, and every token would pass.
      const userId = Number(r.user_id);
      let u = this.#users.get(userId);
      if (!u) this.#users.set(userId, u = {});
      if (r.jti !== null) (u.jtis ??= new Set()).add(r.jti);
      else if (r.not_before_ms !== null) {
        u.notBefore = { ms: Number(r.not_before_ms), keptJti: r.kept_jti };
      }
    }
    this.#state = "complete";
    return true;
  }

  /** Whether a load that began as `generation` is still the one wanted. */
  loading(generation: number): boolean {
    return this.#state === "loading" && generation === this.#generation;
  }

  #drop(): void {
    this.#generation++;
    this.#state = "none";
    this.#users = new Map();
    this.#changed.clear();
  }

  #restart(): void {
    this.#drop();
    if (this.#live) this.wanted();
  }
}

const views = new WeakMap<AppContext, RevocationView>();

/** The context's copy, if it keeps one. */
export function revocationViewOf(ctx: AppContext): RevocationView | undefined {
  return views.get(ctx);
}

/** Waits between loads that failed (MySQL down): the copy is a speed-up, Redis answers meanwhile. */
const RETRY_MS = 5000;

/**
 * Keeps a copy of the context's revocations while its revocation channel is watched (from now
 * on, for the context's life). Nothing when REVOCATION_VIEW_MAX is 0.
 */
export function keepRevocationView(ctx: AppContext): void {
  const max = ctx.config.revocationViewMax;
  if (max === 0 || views.has(ctx)) return;
  const view = new RevocationView(max, () => void load());
  views.set(ctx, view);
  ctx.revocations.listen(view);
  if (ctx.revocations.live) view.liveChanged(true);

  async function load(): Promise<void> {
    const generation = view.beginLoad();
    let rows: RevocationRow[];
    try {
      // An expired revocation concerns only expired tokens, which are refused anyway.
      rows = await ctx.db.rows<RevocationRow>(
        `SELECT user_id, jti, not_before_ms, kept_jti FROM token_revocations
          WHERE expires_at > ? ORDER BY id LIMIT ?`,
        [new Date(ctx.now()), max + 1],
      );
    } catch (e) {
      if (!view.loading(generation)) return; // reset meanwhile (or the context closed)
      ctx.log.warn("revocations not copied into memory: tokens are checked in Redis", {
        retryInMs: RETRY_MS,
        ...errorFields(e),
      });
      Deno.unrefTimer(setTimeout(() => {
        if (view.loading(generation)) void load();
      }, RETRY_MS));
      return;
    }
    if (view.install(generation, rows)) {
      ctx.log.info("revocations copied into memory", { revocations: rows.length });
    } else if (rows.length > max) {
      ctx.log.warn("too many revocations to copy into memory: tokens are checked in Redis", {
        max,
      });
    }
  }
}
