/**
 * The pass of a waiting room: a token that says "this buyer was admitted to this session until
 * this time", signed with HMAC-SHA256 so any instance can check it in process, with no store.
 *
 * Form: `qp1.<sessionId>.<userId>.<expiresAtMs>.<signature>` (base64url, 43 characters). The
 * key is derived from the service's JWT secret under its own label, so a pass is never a valid
 * JWT nor a JWT a valid pass. Signing is deterministic: the same admission gives the same pass
 * on every status poll.
 *
 * ```ts
 * const key = await derivePassKey(ctx.jwtKey);
 * const pass = await signPass(key, { sessionId: 7, userId: 42, expiresAt: Date.now() + 600_000 });
 * await verifyPass(key, pass, { sessionId: 7, userId: 42, now: Date.now() }); // { ok: true, ... }
 * ```
 */

export interface PassClaims {
  sessionId: number;
  userId: number;
  /** ms since the epoch */
  expiresAt: number;
}

export type PassCheck =
  | { ok: true; claims: PassClaims }
  | {
    ok: false;
    reason: "malformed" | "bad_signature" | "other_session" | "other_buyer" | "expired";
  };

const VERSION = "qp1";
const LABEL = "boxoffice waiting-room pass v1";
const FORM = /^qp1\.([1-9]\d{0,15})\.([1-9]\d{0,15})\.(\d{1,16})\.([A-Za-z0-9_-]{43})$/;
const encoder = new TextEncoder();

/** The HMAC key of passes, derived from the service's secret (the JWT key). */
export async function derivePassKey(secret: Uint8Array): Promise<CryptoKey> {
  const master = await crypto.subtle.importKey(
    "raw",
    secret as Uint8Array<ArrayBuffer>,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const derived = await crypto.subtle.sign("HMAC", master, encoder.encode(LABEL));
  return await crypto.subtle.importKey(
    "raw",
    derived,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign", "verify"],
  );
}

export async function signPass(key: CryptoKey, claims: PassClaims): Promise<string> {
  const body = `${VERSION}.${claims.sessionId}.${claims.userId}.${Math.floor(claims.expiresAt)}`;
  const known = remembered(signed, key).get(body);
  if (known) return known;
  const signature = await crypto.subtle.sign("HMAC", key, encoder.encode(body));
  const pass = `${body}.${base64url(new Uint8Array(signature))}`;
  remember(signed, key, body, pass);
  return pass;
}

// Signing and checking are pure functions of the key and the text, and an on-sale asks them of
// the same few thousand passes again and again (every status poll of an admitted buyer, every
// request carrying a pass): remembered, a bounded number of each, per key.
const REMEMBERED_MAX = 50_000;
const signed = new WeakMap<CryptoKey, Map<string, string>>();
const genuinePasses = new WeakMap<CryptoKey, Map<string, true>>();

function remembered<V>(store: WeakMap<CryptoKey, Map<string, V>>, key: CryptoKey) {
  let map = store.get(key);
  if (!map) store.set(key, map = new Map());
  return map;
}

function remember<V>(
  store: WeakMap<CryptoKey, Map<string, V>>,
  key: CryptoKey,
  text: string,
  value: V,
): void {
  const map = remembered(store, key);
  if (map.size >= REMEMBERED_MAX) map.delete(map.keys().next().value!);
  map.set(text, value);
}

/**
 * Checks the signature first (a forged pass is `bad_signature` whatever it claims), then that it
 * is for this session and this buyer, then that it has not expired at `now`.
 */
export async function verifyPass(
  key: CryptoKey,
  token: string,
  expect: { sessionId: number; userId: number; now: number },
): Promise<PassCheck> {
  const text = token.trim();
  const m = FORM.exec(text);
  if (!m) return { ok: false, reason: "malformed" };
  if (!remembered(genuinePasses, key).has(text)) {
    const signature = fromBase64url(m[4]);
    // Canonical form only: the last character's 2 spare bits must be 0 (one pass, one spelling).
    if (!signature || base64url(signature) !== m[4]) return { ok: false, reason: "malformed" };
    const body = `${VERSION}.${m[1]}.${m[2]}.${m[3]}`;
    const genuine = await crypto.subtle.verify("HMAC", key, signature, encoder.encode(body));
    if (!genuine) return { ok: false, reason: "bad_signature" };
    remember(genuinePasses, key, text, true as const);
  }
  const claims = { sessionId: Number(m[1]), userId: Number(m[2]), expiresAt: Number(m[3]) };
  if (claims.sessionId !== expect.sessionId) return { ok: false, reason: "other_session" };
  if (claims.userId !== expect.userId) return { ok: false, reason: "other_buyer" };
  if (claims.expiresAt <= expect.now) return { ok: false, reason: "expired" };
  return { ok: true, claims };
}

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(
    /=+$/,
    "",
  );
}

function fromBase64url(text: string): Uint8Array<ArrayBuffer> | undefined {
  try {
    const raw = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "=");
    return Uint8Array.from(raw, (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}
