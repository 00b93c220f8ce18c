/**
 * Keeps a `WatchedFacts` in step with a Redis channel: each message names a group to forget, and
 * the facts are only trusted while the subscription is confirmed. A dropped connection (Redis
 * restarted, failed over, or the network blinked) forgets everything at once and starts over on
 * a fresh connection; until its SUBSCRIBE is confirmed again, callers read Redis as if there were
 * no memory at all.
 *
 * A dedicated connection of its own, not the command connection: a subscribed connection runs no
 * other commands. On a Redis Cluster any node will do, because a PUBLISH (from a script too) is
 * delivered to the subscribers of every node; on failure the next node of the list is tried.
 */
import { createClient, type RedisClientType } from "#deps";
import type { WatchedFacts } from "./watched_facts.ts";

export interface SubscriptionTarget {
  url?: string;
  clusterNodes?: string[];
}

export interface WatchedSubscription {
  /** Settles once the first SUBSCRIBE is confirmed (tests wait on it; the service need not). */
  readonly firstLive: Promise<void>;
  close(): Promise<void>;
}

const RETRY_MIN_MS = 50;
const RETRY_MAX_MS = 1000;

export function watchChannel(
  target: SubscriptionTarget,
  channel: string,
  facts: WatchedFacts,
  onError: (e: unknown) => void = () => {},
): WatchedSubscription {
  const urls = target.clusterNodes?.map((n) => `redis://${n}`) ?? [target.url];
  let attempt = 0;
  let closed = false;
  let client: RedisClientType | undefined;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let markFirstLive: () => void = () => {};
  const firstLive = new Promise<void>((resolve) => markFirstLive = resolve);

  const drop = (c: RedisClientType) => {
    if (c !== client) return; // an older connection, already replaced
    client = undefined;
    facts.setLive(false);
    try {
      c.destroy();
    } catch {
      // already closed
    }
    if (closed) return;
    const wait = Math.min(RETRY_MIN_MS * 2 ** Math.min(attempt, 5), RETRY_MAX_MS);
    retry = setTimeout(connect, wait);
  };

  const connect = async () => {
    retry = undefined;
    if (closed) return;
    const c = createClient({
      url: urls[attempt++ % urls.length],
      // This module reconnects by itself, on a fresh client: node-redis's own reconnection
      // would resubscribe without saying when, and the facts must not be trusted before it has.
      socket: { connectTimeout: 3000, reconnectStrategy: false },
      disableOfflineQueue: true,
    });
    client = c;
    c.on("error", (e) => {
      onError(e);
      drop(c);
    });
    c.on("end", () => drop(c));
    try {
      await c.connect();
      await c.subscribe(channel, (message) => facts.forgetGroup(message));
    } catch (e) {
      onError(e);
      drop(c);
      return;
    }
    if (c !== client) return;
    attempt = 0;
    facts.setLive(true);
    markFirstLive();
  };

  connect();
  return {
    firstLive,
    close: async () => {
      closed = true;
      if (retry !== undefined) clearTimeout(retry);
      const c = client;
      client = undefined;
      facts.setLive(false);
      if (c?.isOpen) await c.close().catch(() => c.destroy());
      else c?.destroy();
    },
  };
}
