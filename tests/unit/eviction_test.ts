import assert from "node:assert/strict";
import { evictionPolicyOf } from "#lib/platform/eviction.ts";

Deno.test("evictionPolicyOf reads INFO memory", () => {
  const info = "# Memory\r\nused_memory:1\r\nmaxmemory_policy:allkeys-lru\r\nx:1\r\n";
  assert.equal(evictionPolicyOf(info), "allkeys-lru");
  assert.equal(evictionPolicyOf("# Memory\r\nused_memory:1\r\n"), undefined);
});
