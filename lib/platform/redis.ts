/**
 * Redis access for a single server or a Redis Cluster behind one small interface. Commands go
 * out as they are (no offline queue): when Redis cannot be reached, a command fails at once with
 * a 503-bound `AppError` instead of waiting in a queue while the buyer's request hangs.
 */
import { createClient, createCluster, ErrorReply } from "#deps";
import { isAppError, unavailable } from "./errors.ts";

export type RedisReply = string | number | null | RedisReply[];

export interface Redis {
  /**
   * Sends one command. `routingKey` picks the cluster slot (any key the command touches); on a
   * single server it is ignored. Without it a cluster routes by the argument after the command
   * name, which is the key of SET, GET, DEL, MGET, HMGET and the like.
   */
  send<T extends RedisReply = RedisReply>(args: string[], routingKey?: string): Promise<T>;
  /** SCRIPT LOAD on every master; returns the SHA1. */
  loadScript(source: string): Promise<string>;
  /** Deletes every key that starts with `prefix` (tests, and the audit's scratch keys). */
  deleteByPrefix(prefix: string): Promise<number>;
  /** Keys matching a glob, scanned in batches on every master (never KEYS). */
  scan(pattern: string, onBatch: (keys: string[]) => Promise<void>): Promise<void>;
  /** True while the connection (to every master) is up. */
  isOpen(): boolean;
  close(): Promise<void>;
}

export interface RedisOptions {
  url?: string;
  clusterNodes?: string[];
  /** Longest a command may take before the client gives up on it. */
  commandTimeoutMs?: number;
  onError?: (e: unknown) => void;
}

/** Connects, or throws a 503-bound error naming Redis when it cannot. */
export async function connectRedis(options: RedisOptions): Promise<Redis> {
  const timeout = options.commandTimeoutMs ?? 5000;
  let connected = false;
  const socket = {
    connectTimeout: 3000,
    // Once connected, keep reconnecting in the background while requests fail fast
    // (disableOfflineQueue). Before the first connection, give up after a few tries so a boot
    // against a dead Redis ends with a clear error instead of hanging.
    reconnectStrategy: (retries: number, cause: Error) =>
      !connected && retries >= 3 ? cause : Math.min(50 * 2 ** Math.min(retries, 5), 1000),
  };
  const onError = options.onError ?? (() => {});
  if (options.clusterNodes) {
    const cluster = createCluster({
      rootNodes: options.clusterNodes.map((n) => ({ url: `redis://${n}` })),
      defaults: { socket, disableOfflineQueue: true },
    });
    cluster.on("error", onError);
    try {
      await cluster.connect();
      connected = true;
    } catch (e) {
      throw unavailable("redis", e);
    }
    const forEachMaster = async <T>(fn: (c: NodeClient) => Promise<T>): Promise<T[]> => {
      const out: T[] = [];
      for (const master of cluster.masters) {
        out.push(await fn(await cluster.nodeClient(master) as unknown as NodeClient));
      }
      return out;
    };
    // node-redis follows MOVED/ASK but never notices on its own that a master died: until it
    // reads the slot map again it keeps sending that master's slots to the dead node. So every
    // command that fails for want of a node (or hears CLUSTERDOWN) asks for a fresh map, at
    // most every REDISCOVER_MS; once the cluster has promoted a replica, the next map routes
    // there and the 503s stop without a restart.
    let lastRediscover = 0;
    let seed = 0;
    let refreshing: Promise<void> | undefined;
    const rediscover = (): void => {
      if (refreshing || Date.now() - lastRediscover < REDISCOVER_MS) return;
      lastRediscover = Date.now();
      const slots = (cluster as unknown as { _slots: ClusterSlots })._slots;
      const nodes = options.clusterNodes!;
      const startWith = { options: { url: `redis://${nodes[seed++ % nodes.length]}` } };
      refreshing = slots.rediscover(startWith).catch(onError).finally(() => {
        refreshing = undefined;
      });
    };
    const sendOnce = <T>(args: string[], routingKey?: string) =>
      guard<T>(
        // A command sent to no slot in particular lands on a random master and, for a key of
        // another master, bounces on MOVED until node-redis gives up (a 500).
        () => cluster.sendCommand(routingKey ?? args[1], false, args, { timeout }),
        rediscover,
      );
    return {
      send: async <T extends RedisReply>(args: string[], routingKey?: string) => {
        try {
          return await sendOnce<T>(args, routingKey);
        } catch (e) {
          // A command that never left (its node's connection is down) is safe to send again
          // once the fresh slot map is in: the first request after a failover then succeeds.
          const fresh = neverSent(e) ? refreshing : undefined;
          if (!fresh) throw e;
          await fresh;
          return await sendOnce<T>(args, routingKey);
        }
      },
      loadScript: (source) =>
        guard(async () => (await forEachMaster((c) => c.scriptLoad(source)))[0]),
      deleteByPrefix: async (prefix) => {
        let n = 0;
        await forEachMaster((c) =>
          scanNode(c, `${escapeGlob(prefix)}*`, async (keys) => {
            for (const k of keys) n += Number(await cluster.sendCommand(k, false, ["UNLINK", k]));
          })
        );
        return n;
      },
      scan: async (pattern, onBatch) => {
        await forEachMaster((c) => scanNode(c, pattern, onBatch));
      },
      isOpen: () =>
        cluster.masters.length > 0 &&
        cluster.masters.every((m: { client?: { isReady: boolean } }) => m.client?.isReady === true),
      close: async () => {
        await cluster.close();
      },
    };
  }
  const client = createClient({
    url: options.url,
    socket,
    disableOfflineQueue: true,
    commandOptions: { timeout },
  });
  client.on("error", onError);
  try {
    await client.connect();
    connected = true;
  } catch (e) {
    // A client that gave up reconnecting is closed already.
    if (client.isOpen) client.destroy();
    throw unavailable("redis", e);
  }
  const node = client as unknown as NodeClient;
  return {
    send: (args) => guard(() => client.sendCommand(args)),
    loadScript: (source) => guard(() => client.scriptLoad(source)),
    deleteByPrefix: async (prefix) => {
      let n = 0;
      await scanNode(node, `${escapeGlob(prefix)}*`, async (keys) => {
        if (keys.length) n += Number(await client.sendCommand(["UNLINK", ...keys]));
      });
      return n;
    },
    scan: (pattern, onBatch) => scanNode(node, pattern, onBatch),
    isOpen: () => client.isReady,
    close: async () => {
      if (client.isOpen) await client.close();
      else client.destroy();
    },
  };
}

/** Least time between two re-reads of a cluster's slot map. */
const REDISCOVER_MS = 250;

/** The part of node-redis's (untyped) slot map we call: re-read it from a node. */
interface ClusterSlots {
  rediscover(startWith: { options: { url: string } }): Promise<void>;
}

interface NodeClient {
  scriptLoad(source: string): Promise<string>;
  sendCommand(args: string[]): Promise<unknown>;
}

async function scanNode(
  c: NodeClient,
  pattern: string,
  onBatch: (keys: string[]) => Promise<void>,
): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await guard<[string, string[]]>(() =>
      c.sendCommand(["SCAN", cursor, "MATCH", pattern, "COUNT", "500"])
    );
    cursor = next;
    if (keys.length) await onBatch(keys);
  } while (cursor !== "0");
}

/** A string matched literally in a SCAN/KEYS glob pattern. */
export function escapeGlob(s: string): string {
  return s.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

/** node-redis refused to send the command: the node's connection is down or closing. */
function neverSent(e: unknown): boolean {
  const cause = (e as { cause?: unknown })?.cause;
  return cause instanceof Error && /^The client is (offline|closed)$/.test(cause.message);
}

/** A reply error (the script ran and said no, or NOSCRIPT) is not an outage. */
export function isReplyError(e: unknown): e is Error {
  return e instanceof ErrorReply;
}

/** `onUnavailable`: called when the failure means a node cannot answer now. */
async function guard<T>(fn: () => Promise<unknown>, onUnavailable?: () => void): Promise<T> {
  try {
    return await fn() as T;
  } catch (e) {
    if (isAppError(e)) throw e;
    if (isReplyError(e)) {
      // LOADING / MASTERDOWN / CLUSTERDOWN / TRYAGAIN are the server saying "not now".
      if (/^(LOADING|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|BUSY)/.test(e.message)) {
        onUnavailable?.();
        throw unavailable("redis", e);
      }
      throw e;
    }
    onUnavailable?.();
    throw unavailable("redis", e);
  }
}
