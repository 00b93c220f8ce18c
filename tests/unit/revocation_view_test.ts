import assert from "node:assert/strict";
import { CHANGED_MAX, RevocationView } from "#lib/accounts/revocation_view.ts";

const logout = (userId: number, jti: string) => ({
  user_id: userId,
  jti,
  not_before_ms: null,
  kept_jti: null,
});
const passwordChange = (userId: number, ms: number, keptJti: string) => ({
  user_id: userId,
  jti: null,
  not_before_ms: String(ms), // BIGINT may be read as a string
  kept_jti: keptJti,
});

function loaded(rows: Parameters<RevocationView["install"]>[1], max = 100): RevocationView {
  const view = new RevocationView(max);
  view.liveChanged(true);
  assert.equal(view.install(view.beginLoad(), rows), true);
  return view;
}

Deno.test("revocation view: says nothing until a load is installed", () => {
  const view = new RevocationView(100);
  assert.equal(view.revoked(7, "a", 0), undefined);
  view.liveChanged(true);
  const generation = view.beginLoad();
  assert.equal(view.revoked(7, "a", 0), undefined, "not while loading");
  assert.equal(view.install(generation, []), true);
  assert.equal(view.revoked(7, "a", 0), false);
});

Deno.test("revocation view: logouts and password changes, as Redis answers them", () => {
  const view = loaded([
    logout(7, "gone"),
    passwordChange(8, 1000, "kept"),
    passwordChange(8, 2000, "kept2"), // the later change replaces the earlier, as in Redis
    { ...logout(9, "x"), user_id: "9" }, // a user id read as a string still counts
  ]);
  assert.equal(view.revoked(7, "gone", 5000), true);
  assert.equal(view.revoked(7, "other", 5000), false);
  assert.equal(view.revoked(8, "old", 1500), true, "issued before the last change");
  assert.equal(view.revoked(8, "kept2", 1500), false, "the changer's own token is kept");
  assert.equal(view.revoked(8, "kept", 1500), true, "kept by the earlier change only");
  assert.equal(view.revoked(8, "new", 2000), false, "issued at or after the change");
  assert.equal(view.revoked(9, "x", 0), true);
  assert.equal(view.size, 3);
});

Deno.test("revocation view: an announced user is left to Redis; a reset drops the copy", () => {
  const view = loaded([logout(7, "gone")]);
  view.groupChanged("8");
  assert.equal(view.revoked(8, "t", 0), undefined);
  assert.equal(view.revoked(7, "gone", 0), true, "the other users still answered");
  view.liveChanged(false);
  assert.equal(view.complete, false);
  assert.equal(view.revoked(7, "gone", 0), undefined);
});

Deno.test("revocation view: an announcement during the load is kept; a reset discards the load", () => {
  const view = new RevocationView(100);
  view.liveChanged(true);
  let generation = view.beginLoad();
  view.groupChanged("8"); // announced after the read may have been sent
  assert.equal(view.install(generation, []), true);
  assert.equal(view.revoked(8, "t", 0), undefined);
  generation = view.beginLoad();
  view.liveChanged(true); // a reconnect while the read was out: it may have missed a message
  assert.equal(view.install(generation, []), false);
  assert.equal(view.complete, false);
});

Deno.test("revocation view: loads are asked for when the watch comes up or the copy is stale", () => {
  let wanted = 0;
  const view = new RevocationView(2, () => wanted++);
  view.liveChanged(false);
  assert.equal(wanted, 0, "not while the watch is down");
  view.liveChanged(true);
  assert.equal(wanted, 1);
  assert.equal(view.install(view.beginLoad(), []), true);
  for (let i = 1; i <= CHANGED_MAX; i++) view.groupChanged(String(i));
  assert.equal(wanted, 1, "up to CHANGED_MAX announced users are left to Redis");
  view.groupChanged(String(CHANGED_MAX + 1));
  assert.equal(wanted, 2, "past it the copy is loaded again");
  assert.equal(view.complete, false);
});

Deno.test("revocation view: more revocations than its bound are not kept", () => {
  const view = new RevocationView(2);
  view.liveChanged(true);
  const rows = [logout(1, "a"), logout(2, "b"), logout(3, "c")];
  assert.equal(view.install(view.beginLoad(), rows), false);
  assert.equal(view.complete, false);
  assert.equal(view.revoked(1, "a", 0), undefined);
});
