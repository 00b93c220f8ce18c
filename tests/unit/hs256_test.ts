import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { joseErrors, jwtVerify, SignJWT } from "#deps";
import { type Hs256Verdict, verifyHs256 } from "#lib/accounts/hs256.ts";

const key = new TextEncoder().encode("a-secret-of-thirty-two-bytes-ok!");
const otherKey = new TextEncoder().encode("another-secret-of-32-bytes-ok!!!");
const NOW = Date.UTC(2026, 10, 30, 12, 0, 0);
const nowS = NOW / 1000;

/** What jose's jwtVerify says of the token, in verifyHs256's terms. */
async function joseVerdict(token: string, k = key): Promise<Hs256Verdict> {
  try {
    const { payload } = await jwtVerify(token, k, {
      algorithms: ["HS256"],
      currentDate: new Date(NOW),
    });
    return { claims: { ...payload } };
  } catch (e) {
    return { refused: e instanceof joseErrors.JWTExpired ? "expired" : "invalid" };
  }
}

async function signed(claims: Record<string, unknown>, header: Record<string, unknown> = {}) {
  return await new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256", typ: "JWT", ...header })
    .sign(key);
}

const b64 = (value: unknown) =>
  btoa(JSON.stringify(value)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

/** A token with any header and claims, signed with the HMAC of `k` (no check of the header). */
function forged(header: unknown, claims: unknown, k = key): string {
  const input = `${b64(header)}.${b64(claims)}`;
  return `${input}.${createHmac("sha256", k).update(input).digest("base64url")}`;
}

const ours = { sub: "42", role: "user", jti: "j-1", ims: NOW, iat: nowS, exp: nowS + 3600 };

Deno.test("hs256: our own token is accepted with its claims, as jose accepts it", async () => {
  const token = await signed(ours);
  const verdict = verifyHs256(token, key, NOW);
  assert.deepEqual(verdict, { claims: ours });
  assert.deepEqual(verdict, await joseVerdict(token));
});

Deno.test("hs256: the same verdict as jose on claims, headers and keys", async () => {
  const cases: [string, string, Uint8Array<ArrayBuffer>?][] = [
    ["expired", await signed({ ...ours, exp: nowS - 1 })],
    ["expires this second", await signed({ ...ours, exp: nowS })],
    ["valid one more second", await signed({ ...ours, exp: nowS + 1 })],
    ["no exp", await signed({ sub: "42" })],
    ["exp a string", forged({ alg: "HS256" }, { ...ours, exp: String(nowS + 60) })],
    ["nbf in the future", await signed({ ...ours, nbf: nowS + 10 })],
    ["nbf now", await signed({ ...ours, nbf: nowS })],
    ["iat a string", forged({ alg: "HS256" }, { ...ours, iat: "yesterday" })],
    ["another key", await signed(ours), otherKey],
    ["alg none", forged({ alg: "none" }, ours)],
    ["alg HS512", forged({ alg: "HS512" }, ours)],
    ["alg missing", forged({ typ: "JWT" }, ours)],
    ["header an array", forged(["HS256"], ours)],
    ["claims an array", forged({ alg: "HS256" }, [ours])],
    ["claims a number", forged({ alg: "HS256" }, 42)],
    ["claims null", forged({ alg: "HS256" }, null)],
    ["forged with another key", forged({ alg: "HS256" }, ours, otherKey)],
    ["expired and forged", forged({ alg: "HS256" }, { ...ours, exp: 1 }, otherKey)],
    ["extra header fields", await signed(ours, { kid: "k1", cty: "x" })],
  ];
  for (const [name, token, k] of cases) {
    assert.deepEqual(verifyHs256(token, k ?? key, NOW), await joseVerdict(token, k), name);
  }
});

Deno.test("hs256: the same verdict as jose on every one-character change of a token", async () => {
  const token = await signed(ours);
  const alphabet = "AZaz09-_.=+/ ";
  let accepted = 0;
  for (let i = 0; i < token.length; i++) {
    for (const c of alphabet) {
      if (token[i] === c) continue;
      const changed = token.slice(0, i) + c + token.slice(i + 1);
      const mine = verifyHs256(changed, key, NOW);
      const theirs = await joseVerdict(changed);
      if ("claims" in mine) accepted++;
      // Padding is the one place we are stricter: jose may take a segment that ends in "=".
      if (c === "=" && "claims" in theirs) {
        assert.deepEqual(mine, { refused: "invalid" }, `padded at ${i}`);
        continue;
      }
      assert.deepEqual(mine, theirs, `"${c}" at ${i}: ${changed}`);
    }
    // Cut short, or with a character more.
    for (const changed of [token.slice(0, i), token.slice(0, i) + "A" + token.slice(i)]) {
      assert.deepEqual(verifyHs256(changed, key, NOW), await joseVerdict(changed), changed);
    }
  }
  // The last character of a base64url segment may carry bits no byte uses: such a change can
  // decode to the same bytes and still verify, for jose as for us (compared above).
  assert.ok(accepted < 10, `${accepted} changed tokens accepted`);
});

Deno.test("hs256: stricter than jose on a header that names extensions (crit)", async () => {
  const token = forged({ alg: "HS256", crit: ["exp"], exp: 1 }, ours);
  assert.deepEqual(verifyHs256(token, key, NOW), { refused: "invalid" });
  assert.equal("refused" in await joseVerdict(token), true);
});

Deno.test("hs256: no key, no token (one signed with an empty key is refused)", async () => {
  const empty = new Uint8Array(0);
  const token = forged({ alg: "HS256" }, ours, empty);
  assert.deepEqual(verifyHs256(token, empty, NOW), { refused: "invalid" });
  assert.equal("refused" in await joseVerdict(token, empty), true);
});

Deno.test("hs256: malformed tokens are refused, not thrown", () => {
  for (
    const token of ["", ".", "..", "a.b.c", "a.b", "a.b.c.d", "é.é.é", "e30.e30.", "e30.e30.e30"]
  ) {
    assert.deepEqual(verifyHs256(token, key, NOW), { refused: "invalid" }, token);
  }
});
