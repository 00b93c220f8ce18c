import assert from "node:assert/strict";
import { redisKeys } from "#lib/platform/keys.ts";

/** The hash tag Redis Cluster hashes: the text between the first `{` and the next `}`. */
function hashTag(key: string): string {
  const open = key.indexOf("{");
  const close = key.indexOf("}", open + 1);
  return open >= 0 && close > open + 1 ? key.slice(open + 1, close) : key;
}

Deno.test("keys: every key of one session shares the session's hash tag", () => {
  const k = redisKeys("bo:");
  const keys = [
    k.sessionReady(7),
    k.sessionRebuildLock(7),
    k.sessionGeneration(7),
    k.tier(7, 3),
    k.tierBuyers(7, 3),
    k.reservations(7),
    k.claims(7),
    k.disabledSeats(7),
    k.heldBy(7, 42),
    k.hold(7, "12:2026-12-01T10"),
    k.dedup(7, 42, "{idempotency}"),
    k.dedupOutcome(7, "20261126120000123456001"),
  ];
  for (const key of keys) {
    assert.ok(key.startsWith("bo:"), key);
    assert.equal(hashTag(key), "s:7", key);
  }
  assert.equal(new Set(keys).size, keys.length, "keys of one session are distinct");
  assert.notEqual(hashTag(k.claims(70)), hashTag(k.claims(7)));
});

Deno.test("keys: every key of one user shares the user's hash tag", () => {
  const k = redisKeys("bo:");
  for (const key of [k.revokedToken(5, "jti-1"), k.tokensNotBefore(5), k.revocationsLoaded(5)]) {
    assert.equal(hashTag(key), "u:5", key);
  }
});

Deno.test("keys: the prefix goes first and user text cannot forge a hash tag", () => {
  const k = redisKeys("bo_test_x_");
  assert.equal(k.prefix, "bo_test_x_");
  assert.equal(k.tier(1, 2), "bo_test_x_{s:1}:tier:2");
  const login = k.loginFailuresByAccount("name:Ali{s:1}Ce");
  assert.equal(login, "bo_test_x_login-fail:u:name%3AAli%7Bs%3A1%7DCe");
  assert.ok(!login.includes("{"));
  assert.ok(!k.loginFailuresByAddress("1.2.3.4").includes("{"));
  assert.ok(k.jobLease("reconcile").startsWith("bo_test_x_"));
  assert.ok(k.reconcileCursor.startsWith("bo_test_x_"));
});
