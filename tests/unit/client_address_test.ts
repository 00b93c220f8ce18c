import assert from "node:assert/strict";
import { clientAddress } from "#http/client_address.ts";

Deno.test("clientAddress: the socket's address unless proxies are trusted", () => {
  assert.equal(clientAddress("1.2.3.4", "10.0.0.9", 0), "10.0.0.9");
  assert.equal(clientAddress(undefined, "10.0.0.9", 1), "10.0.0.9");
  assert.equal(clientAddress(undefined, undefined, 0), "unknown");
});

Deno.test("clientAddress: the entry the outermost trusted proxy appended, not the leftmost", () => {
  // The client forged "6.6.6.6"; one trusted proxy appended the real peer 5.5.5.5.
  assert.equal(clientAddress("6.6.6.6, 5.5.5.5", "10.0.0.9", 1), "5.5.5.5");
  // Two trusted hops: CDN saw 7.7.7.7, the balancer appended the CDN's address.
  assert.equal(clientAddress("6.6.6.6, 7.7.7.7, 10.1.1.1", "10.0.0.9", 2), "7.7.7.7");
  // Fewer entries than hops: the leftmost is the best there is.
  assert.equal(clientAddress("7.7.7.7", "10.0.0.9", 3), "7.7.7.7");
});
