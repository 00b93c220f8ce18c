import assert from "node:assert/strict";
import { WatchedFacts } from "#lib/platform/watched_facts.ts";

Deno.test("watched facts: nothing is known, or remembered, while the watch is down", () => {
  const facts = new WatchedFacts();
  facts.remember("7", "a", facts.epoch());
  assert.equal(facts.has("7", "a"), false);
  facts.setLive(true);
  facts.remember("7", "a", facts.epoch());
  assert.equal(facts.has("7", "a"), true);
  facts.setLive(false);
  assert.equal(facts.has("7", "a"), false);
  facts.setLive(true);
  assert.equal(facts.has("7", "a"), false, "going down forgot it");
});

Deno.test("watched facts: a read that a change overtook is not remembered", () => {
  const facts = new WatchedFacts();
  facts.setLive(true);
  const before = facts.epoch();
  facts.forgetGroup("7"); // the announcement arrived while the read was out
  facts.remember("7", "a", before);
  assert.equal(facts.has("7", "a"), false);
  const beforeReset = facts.epoch();
  facts.setLive(true); // a reconnect in between
  facts.remember("8", "b", beforeReset);
  assert.equal(facts.has("8", "b"), false);
});

Deno.test("watched facts: forgetting a group leaves the others", () => {
  const facts = new WatchedFacts();
  facts.setLive(true);
  facts.remember("7", "a", facts.epoch());
  facts.remember("7", "b", facts.epoch());
  facts.remember("8", "c", facts.epoch());
  assert.equal(facts.size, 3);
  facts.forgetGroup("7");
  assert.equal(facts.has("7", "a"), false);
  assert.equal(facts.has("7", "b"), false);
  assert.equal(facts.has("8", "c"), true);
  assert.equal(facts.size, 1);
});

Deno.test("watched facts: bounded, the oldest group goes first", () => {
  const facts = new WatchedFacts(3);
  facts.setLive(true);
  for (const [g, f] of [["1", "a"], ["1", "b"], ["2", "c"], ["3", "d"]]) {
    facts.remember(g, f, facts.epoch());
  }
  assert.equal(facts.has("1", "a"), false);
  assert.equal(facts.has("2", "c"), true);
  assert.equal(facts.has("3", "d"), true);
  assert.ok(facts.size <= 3);
});
