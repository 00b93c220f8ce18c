/**
 * The client's address. Behind `hops` proxies that each append the address they saw to
 * X-Forwarded-For, the client is the entry the outermost trusted proxy appended: `hops` entries
 * from the right. Entries to the left of it were written by the client itself and prove nothing,
 * so a forged leftmost entry cannot pick someone else's throttle counter.
 */
export function clientAddress(
  forwarded: string | undefined,
  socketAddress: string | undefined,
  hops: number,
): string {
  if (hops > 0 && forwarded) {
    const entries = forwarded.split(",").map((s) => s.trim()).filter(Boolean);
    // Fewer entries than hops: a proxy in the chain sent none; its own view is the leftmost.
    const seen = entries[Math.max(0, entries.length - hops)];
    if (seen) return seen;
  }
  return socketAddress ?? "unknown";
}
