import assert from "node:assert/strict";
import { kdfSlots } from "#lib/accounts/kdf_slots.ts";
import { isAppError } from "#lib/platform/errors.ts";

Deno.test("kdfSlots: at most `slots` run, `line` wait, the rest are refused at once", async () => {
  const slots = kdfSlots(2, 3);
  let running = 0;
  let peak = 0;
  const gates: (() => void)[] = [];
  const job = () =>
    slots.run(async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise<void>((go) => gates.push(go));
      running--;
      return "done";
    });
  const results = Array.from({ length: 10 }, () => job().then((v) => v, (e) => e));
  await Promise.resolve();
  assert.deepEqual(slots.stats(), { running: 2, waiting: 3 });
  // Open the gates one by one until every admitted job has finished.
  let finished = 0;
  while (finished < 5) {
    const go = gates.shift();
    if (go) {
      go();
      finished++;
    }
    await new Promise((r) => setTimeout(r, 0));
  }
  const outcomes = await Promise.all(results);
  assert.equal(outcomes.filter((o) => o === "done").length, 5);
  const refused = outcomes.filter((o) => isAppError(o) && o.code === "UNAVAILABLE");
  assert.equal(refused.length, 5);
  assert.ok(refused.every((e) => isAppError(e) && e.retryAfter === 1));
  assert.equal(peak, 2);
  assert.deepEqual(slots.stats(), { running: 0, waiting: 0 });
});
