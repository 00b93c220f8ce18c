/**
 * The check of an HS256 JSON Web Token (RFC 7515 compact form, RFC 7519 claims), with
 * node:crypto's HMAC. jose (which issues our tokens) checks them through WebCrypto, which costs
 * 100-160 µs a token on this runtime against about 10 µs here; every buyer's first request of an
 * on-sale pays it on the one event loop (bench/mixed, bench/flashsale: 5-9 % of the server's CPU).
 *
 * It accepts what jose's jwtVerify(token, key, { algorithms: ["HS256"] }) accepts and refuses
 * what it refuses (tests/unit/hs256_test.ts compares the two on tokens jose signs and on their
 * mutations), except that it is stricter where our tokens never go: a header naming extensions
 * to understand (`crit`), a segment with base64 padding, and an empty key are refused.
 */
import { Buffer } from "node:buffer";
import { createHmac, timingSafeEqual } from "node:crypto";

export type Claims = Record<string, unknown>;

/** The token's claims, or why it is refused (`expired`: signed by this key, but past `exp`). */
export type Hs256Verdict = { claims: Claims } | { refused: "invalid" | "expired" };

const INVALID = { refused: "invalid" } as const;
const EXPIRED = { refused: "expired" } as const;
const BASE64URL = /^[A-Za-z0-9_-]*$/;
const SIGNATURE_BYTES = 32;

/** `nowMs`: the clock the claims are checked against (ms since the epoch). */
export function verifyHs256(token: string, key: Uint8Array, nowMs: number): Hs256Verdict {
  // An empty key would verify what anyone signs with one (WebCrypto refuses to import it; a
  // context without a secret, such as the tools' read-only one, has one).
  if (key.length === 0) return INVALID;
  const parts = token.split(".");
  if (parts.length !== 3) return INVALID;
  const [head, body, signature] = parts;
  const header = jsonObject(head);
  if (header?.alg !== "HS256" || header.crit !== undefined) return INVALID;
  const given = bytesOf(signature);
  if (given?.length !== SIGNATURE_BYTES) return INVALID;
  const expected = createHmac("sha256", key).update(`${head}.${body}`).digest();
  if (!timingSafeEqual(expected, given)) return INVALID;
  const claims = jsonObject(body);
  if (!claims) return INVALID;
  // jose's claim checks with no tolerance: whole seconds; a claim present must be a number.
  const now = Math.floor(nowMs / 1000);
  const { exp, nbf, iat } = claims;
  if (iat !== undefined && typeof iat !== "number") return INVALID;
  if (nbf !== undefined && (typeof nbf !== "number" || nbf > now)) return INVALID;
  if (exp !== undefined) {
    if (typeof exp !== "number") return INVALID;
    if (exp <= now) return EXPIRED;
  }
  return { claims };
}

/** base64url without padding, decoded; undefined when it is not that. */
function bytesOf(part: string): Buffer | undefined {
  // Buffer skips characters outside the alphabet instead of refusing them.
  if (!BASE64URL.test(part) || part.length % 4 === 1) return undefined;
  return Buffer.from(part, "base64url");
}

function jsonObject(part: string): Claims | undefined {
  const bytes = bytesOf(part);
  if (!bytes) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch {
    return undefined;
  }
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? value as Claims
    : undefined;
}

const decoder = new TextDecoder();
