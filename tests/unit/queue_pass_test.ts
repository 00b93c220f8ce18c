// The waiting room's pass: pure functions, no store.
import assert from "node:assert/strict";
import { derivePassKey, signPass, verifyPass } from "#lib/queue/pass.ts";

const secret = new TextEncoder().encode("unit-secret-unit-secret-unit-secret-0123");
const NOW = Date.UTC(2030, 4, 1, 12, 0, 0);
const claims = { sessionId: 7, userId: 42, expiresAt: NOW + 600_000 };

Deno.test("pass: a signed pass verifies for its buyer and session until it expires", async () => {
  const key = await derivePassKey(secret);
  const pass = await signPass(key, claims);
  assert.match(pass, /^qp1\.7\.42\.\d+\.[A-Za-z0-9_-]{43}$/);
  assert.deepEqual(await verifyPass(key, pass, { sessionId: 7, userId: 42, now: NOW }), {
    ok: true,
    claims,
  });
  // Deterministic: the same admission gives the same pass on every poll.
  assert.equal(await signPass(key, claims), pass);
});

Deno.test("pass: another buyer, another session, expired, forged, malformed are refused", async () => {
  const key = await derivePassKey(secret);
  const pass = await signPass(key, claims);
  const check = (token: string, sessionId = 7, userId = 42, now = NOW) =>
    verifyPass(key, token, { sessionId, userId, now });
  const reason = async (p: Promise<{ ok: boolean; reason?: string }>) => (await p).reason;

  assert.equal(await reason(check(pass, 7, 43)), "other_buyer");
  assert.equal(await reason(check(pass, 8, 42)), "other_session");
  assert.equal(await reason(check(pass, 7, 42, claims.expiresAt)), "expired");
  assert.equal((await check(pass, 7, 42, claims.expiresAt - 1)).ok, true);

  // Changing any claim breaks the signature: a buyer cannot lend, move or extend a pass.
  const [v, s, u, e, sig] = pass.split(".");
  for (
    const forged of [[v, "8", u, e, sig], [v, s, "43", e, sig], [v, s, u, String(+e + 1), sig]]
  ) {
    assert.equal(await reason(check(forged.join("."), +forged[1], +forged[2])), "bad_signature");
  }
  // A pass of another deployment (another secret) is not a pass of this one.
  const otherKey = await derivePassKey(new TextEncoder().encode("x".repeat(40)));
  assert.equal(await reason(check(await signPass(otherKey, claims))), "bad_signature");

  for (const junk of ["", "qp1", "qp1.7.42.1.", `${pass}x`, pass.replace("qp1", "qp2"), "a.b.c"]) {
    assert.equal(await reason(check(junk)), "malformed", junk);
  }
  // The signature's last character carries 2 spare bits: only the canonical spelling passes.
  const last = sig.at(-1)!;
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const sibling = alphabet[alphabet.indexOf(last) ^ 1];
  assert.equal(
    await reason(check([v, s, u, e, sig.slice(0, -1) + sibling].join("."))),
    "malformed",
  );
});

Deno.test("pass: the key is derived, so a pass is not signed with the JWT secret itself", async () => {
  const key = await derivePassKey(secret);
  const pass = await signPass(key, claims);
  const raw = await crypto.subtle.importKey(
    "raw",
    secret,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const body = pass.slice(0, pass.lastIndexOf("."));
  const withSecret = new Uint8Array(
    await crypto.subtle.sign("HMAC", raw, new TextEncoder().encode(body)),
  );
  const sig = pass.slice(pass.lastIndexOf(".") + 1);
  const plain = btoa(String.fromCharCode(...withSecret)).replace(/\+/g, "-").replace(/\//g, "_")
    .replace(/=+$/, "");
  assert.notEqual(sig, plain);
});
