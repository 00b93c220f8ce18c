/**
 * Every Redis key boxoffice uses, in one place. Keys of one session share the hash tag
 * `{s:<sessionId>}` and keys of one user share `{u:<userId>}`, so each Lua script and each
 * multi-key command touches a single slot and runs unchanged on Redis Cluster.
 */
export type Keys = ReturnType<typeof redisKeys>;

export function redisKeys(prefix: string) {
  const session = (sessionId: number) => `${prefix}{s:${sessionId}}`;
  const user = (userId: number) => `${prefix}{u:${userId}}`;
  return {
    prefix,
    // --- a session's sale state (rebuilt from MySQL when missing) ---
    /** Present once the session's state has been built from MySQL; absent means "rebuild". */
    sessionReady: (sessionId: number) => `${session(sessionId)}:ready`,
    /**
     * "<rebuilt at µs>/<generation>": which rebuild of the session's state (counted in MySQL's
     * sale_state_generations) the state comes from, valid while the ready marker holds the same
     * time (lua/rebuild-session.lua writes both; a rebuild by an older version writes only the
     * marker, and then the generation is not known).
     */
    sessionGeneration: (sessionId: number) => `${session(sessionId)}:generation`,
    /** Per-session lock held while the session is rebuilt from MySQL. */
    sessionRebuildLock: (sessionId: number) => `${session(sessionId)}:rebuilding`,
    /** Hash total/locked/sold/limit of one tier. */
    tier: (sessionId: number, ticketId: number) => `${session(sessionId)}:tier:${ticketId}`,
    /** Hash userId → tickets of the tier in the user's active (pending or paid) orders. */
    tierBuyers: (sessionId: number, ticketId: number) =>
      `${session(sessionId)}:tier:${ticketId}:buyers`,
    /** Hash orderNo → reservation record (see lua/reserve.lua). */
    reservations: (sessionId: number) => `${session(sessionId)}:reservations`,
    /** Hash slot → "orderNo|p" (in an unpaid order) or "orderNo|s" (sold). */
    claims: (sessionId: number) => `${session(sessionId)}:claims`,
    /** Set of seat ids that are disabled (never sellable). */
    disabledSeats: (sessionId: number) => `${session(sessionId)}:disabled`,
    /** Hash userId → seat-hours in the buyer's unpaid hourly bookings of the session. */
    unpaidSeatHours: (sessionId: number) => `${session(sessionId)}:seat-hours`,
    /** Sorted set slot → hold expiry (ms): the slots one buyer holds in the session. */
    heldBy: (sessionId: number, userId: number) => `${session(sessionId)}:held:${userId}`,
    /**
     * Sorted set slot → hold expiry (ms): every hold of the session, so readers and sweeps find
     * them without a key per seat or a keyspace SCAN (lua/hold-seats.lua keeps it).
     */
    sessionHolds: (sessionId: number) => `${session(sessionId)}:holds`,
    /** String "userId|expireAtMs" with a TTL: one buyer's hold on one slot. */
    hold: (sessionId: number, slot: string) => `${session(sessionId)}:hold:${slot}`,
    /**
     * The first order of a buyer's create request (an Idempotency-Key, or the fingerprint of
     * the request within DEDUP_WINDOW_SECONDS). In the session's slot, so the reserve script
     * checks and sets it in the same atomic step.
     */
    dedup: (sessionId: number, userId: number, key: string) =>
      `${session(sessionId)}:dedup:${userId}:${key}`,
    /**
     * Stands in for the dedup key of a create without one (never written): a script's keys are
     * all real keys of the session's slot, as Redis Cluster requires.
     */
    noDedup: (sessionId: number, userId: number) => `${session(sessionId)}:dedup:${userId}:none`,
    /** Failed outcome of a deduplicated create, replayed to its duplicates for a short while. */
    dedupOutcome: (sessionId: number, orderNo: string) =>
      `${session(sessionId)}:outcome:${orderNo}`,

    // --- a session's waiting room (lua/queue-*.lua) ---
    /** Sorted set userId → place (random < 1 before the opening, arrival number after). */
    queueWaiting: (sessionId: number) => `${session(sessionId)}:queue:waiting`,
    /** Sorted set userId → pass expiry (ms): the buyers admitted whose pass is still good. */
    queueAdmitted: (sessionId: number) => `${session(sessionId)}:queue:admitted`,
    /** Hash: token bucket (last, carry), arrival counter, admitted total, soldOut flag. */
    queueState: (sessionId: number) => `${session(sessionId)}:queue:state`,
    /**
     * Hash epoch second → buyers admitted in that second, and "a<second>" → tickets left before
     * that second's first admission (the last minute's are kept).
     */
    queueAdmits: (sessionId: number) => `${session(sessionId)}:queue:admits`,

    // --- a user's tokens and requests ---
    /** Present while a logged-out token (by jti) would still be valid. */
    revokedToken: (userId: number, jti: string) => `${user(userId)}:revoked:${jti}`,
    /** Tokens issued before this time (seconds) are refused (set by a password change). */
    tokensNotBefore: (userId: number) => `${user(userId)}:tokens-nbf`,
    /** Present once the user's revocations have been loaded from MySQL into Redis. */
    revocationsLoaded: (userId: number) => `${user(userId)}:revocations-loaded`,
    /**
     * Channel (not a key): `lua/revoke-tokens.lua` publishes a user id on it, and every process
     * forgets what it remembered of that user's tokens.
     */
    revocationsChannel: `${prefix}revocations`,

    // --- login throttling ---
    /** Password attempts for one account (`id:<userId>`, or `name:<folded>` for nobody). */
    loginFailuresByAccount: (account: string) =>
      `${prefix}login-fail:u:${encodeURIComponent(account)}`,
    loginFailuresByAddress: (address: string) => `${prefix}login-fail:a:${address}`,
    /** Registrations from one client address in the current window. */
    registrationsByAddress: (address: string) => `${prefix}register:a:${address}`,

    // --- jobs ---
    /** Lease that lets one process at a time run a job. */
    jobLease: (job: string) => `${prefix}lease:${job}`,
    /** The session id the reconcile job stopped after; its next run continues from there. */
    reconcileCursor: `${prefix}reconcile:after`,
  };
}
