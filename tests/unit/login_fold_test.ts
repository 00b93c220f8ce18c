import assert from "node:assert/strict";
import { foldUsername } from "#lib/accounts/login_throttle.ts";

Deno.test("foldUsername: spellings MySQL's collation takes as one name fold together", () => {
  for (const spelling of ["alice", "ALICE", "alice ", "alice   ", "ａｌｉｃｅ", "àlîcé"]) {
    assert.equal(foldUsername(spelling), "alice", JSON.stringify(spelling));
  }
  assert.notEqual(foldUsername("alice2"), "alice");
  assert.equal(foldUsername(" alice"), " alice", "leading spaces are significant in MySQL");
});
