/**
 * Redis access for a single server or a Redis Cluster behind one small interface. Commands go
 * out as they are (no offline queue): when Redis cannot be reached, a command fails at once with
 * a 503-bound `AppError` instead of waiting in a queue while the buyer's request hangs.
 *
 * The client recovers by itself from any failed, timed-out or oversized command:
 * - every command has a deadline, also once it is written (node-redis's own `timeout` only
 *   covers a command still waiting to be written). A command past it fails with 503, and on a
 *   single server the connection it was written on is replaced: its replies are now behind a
 *   command nobody waits for (a stuck script, a huge reply), so the next commands go out on a
 *   fresh connection instead of queueing behind it; the old one is dropped, freeing whatever
 *   it was buffering.
 * - the line of commands waiting on a connection is bounded (QUEUE_MAX): past it, 503 at once,
 *   never a queue that eats memory.
 * - a command larger than MAX_COMMAND_BYTES is refused before it is built into a buffer: no
 *   caller sends one (every request's reads are capped), so one would be a bug, never an outage.
 */
import { createClient, createCluster, ErrorReply, type RedisClientType } from "#deps";
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
  /** Longest a command may take, written or not, before the client gives up on it. */
  commandTimeoutMs?: number;
  onError?: (e: unknown) => void;
}

/** Commands waiting on one connection (to be written or for their reply) before 503 at once. */
export const QUEUE_MAX = 10_000;
/** The largest command (sum of its arguments' lengths) the client sends. */
export const MAX_COMMAND_BYTES = 8 * 1024 * 1024;
/** The most arguments one command may have. */
export const MAX_COMMAND_ARGS = 100_000;

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
      defaults: { socket, disableOfflineQueue: true, commandsQueueMaxLength: QUEUE_MAX },
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
    const withDeadline = deadlines(timeout);
    const sendOnce = <T>(args: string[], routingKey?: string) =>
      guard<T>(
        // A command sent to no slot in particular lands on a random master and, for a key of
        // another master, bounces on MOVED until node-redis gives up (a 500).
        () =>
          withDeadline(() => cluster.sendCommand(routingKey ?? args[1], false, checkSize(args))),
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
          scanNode((a) => c.sendCommand(a), `${escapeGlob(prefix)}*`, async (keys) => {
            for (const k of keys) n += Number(await cluster.sendCommand(k, false, ["UNLINK", k]));
          })
        );
        return n;
      },
      scan: async (pattern, onBatch) => {
        await forEachMaster((c) => scanNode((a) => c.sendCommand(a), pattern, onBatch));
      },
      isOpen: () =>
        cluster.masters.length > 0 &&
        cluster.masters.every((m: { client?: { isReady: boolean } }) => m.client?.isReady === true),
      close: async () => {
        await cluster.close();
      },
    };
  }
  const connection = await recoveringClient(options.url, socket, timeout, onError);
  connected = true;
  return {
    send: (args) => guard(() => connection.send(args)),
    loadScript: (source) => guard(() => connection.current().scriptLoad(source)),
    deleteByPrefix: async (prefix) => {
      let n = 0;
      await scanNode(connection.send, `${escapeGlob(prefix)}*`, async (keys) => {
        if (keys.length) n += Number(await connection.send(["UNLINK", ...keys]));
      });
      return n;
    },
    scan: (pattern, onBatch) => scanNode(connection.send, pattern, onBatch),
    isOpen: () => connection.current().isReady,
    close: () => connection.close(),
  };
}

/** A client with no modules, RESP2: what `createClient` makes from our options. */
type SingleClient = RedisClientType;

/**
 * A single-server connection that replaces itself when a command it wrote outlives its
 * deadline (see the top of this file). At most one replacement per deadline: a Redis that is
 * slow for everyone gets 503s, not a storm of reconnects.
 */
async function recoveringClient(
  url: string | undefined,
  socket: Record<string, unknown>,
  timeout: number,
  onError: (e: unknown) => void,
) {
  const make = () => {
    const c = createClient({
      url,
      socket,
      disableOfflineQueue: true,
      commandsQueueMaxLength: QUEUE_MAX,
    });
    c.on("error", onError);
    return c;
  };
  let client: SingleClient = make();
  try {
    await client.connect();
  } catch (e) {
    // A client that gave up reconnecting is closed already.
    if (client.isOpen) client.destroy();
    throw unavailable("redis", e);
  }
  let since = 0;
  let closed = false;
  const replace = (stale: SingleClient) => {
    if (closed || stale !== client || Date.now() - since < timeout) return;
    since = Date.now();
    const fresh = make();
    client = fresh;
    // Commands sent before it is up fail at once (no offline queue): 503 for a moment.
    fresh.connect().catch(onError);
    onError(new Error("redis command timed out; connection replaced"));
    try {
      stale.destroy();
    } catch {
      // already gone
    }
  };
  const withDeadline = deadlines(timeout);
  return {
    current: () => client,
    send(args: string[]): Promise<unknown> {
      const on = client;
      return withDeadline(() => on.sendCommand(checkSize(args)), () => replace(on));
    },
    async close() {
      closed = true;
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

/**
 * Deadlines of in-flight commands, watched by one timer (while any is in flight) rather than one
 * timer per command: the hot path pays a Set insert and delete. A command past its deadline —
 * written or not — fails with 503 after `onLate` (its connection is replaced); a reply that comes
 * later is dropped. Deadlines are met within a quarter of their length.
 */
export function deadlines(ms: number) {
  const inflight = new Set<{ due: number; late: () => void }>();
  const tick = Math.max(10, Math.min(250, Math.floor(ms / 4)));
  let timer: ReturnType<typeof setInterval> | undefined;
  const check = () => {
    const now = Date.now();
    // Insertion order is deadline order: stop at the first that is not due.
    for (const p of inflight) {
      if (p.due > now) break;
      inflight.delete(p);
      p.late();
    }
    if (inflight.size === 0) {
      clearInterval(timer);
      timer = undefined;
    }
  };
  return <T>(run: () => Promise<T>, onLate?: () => void): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const sent = run();
      const p = {
        due: Date.now() + ms,
        late: () => {
          sent.catch(() => {});
          onLate?.();
          reject(unavailable("redis (command timed out)"));
        },
      };
      inflight.add(p);
      if (timer === undefined) {
        const t = setInterval(check, tick);
        Deno.unrefTimer(t);
        timer = t;
      }
      sent.then(
        (v) => inflight.delete(p) && resolve(v),
        (e) => inflight.delete(p) && reject(e),
      );
    });
}

/** A command too large to send: a caller's bug (every read is capped), not an outage. */
export class CommandTooLarge extends Error {
  override name = "CommandTooLarge";
}

/** The command as is, or an error before any buffer is built when it is too large to send. */
export function checkSize(args: string[]): string[] {
  if (args.length > MAX_COMMAND_ARGS) {
    throw new CommandTooLarge(
      `redis command of ${args.length} arguments (most ${MAX_COMMAND_ARGS})`,
    );
  }
  let bytes = 0;
  for (const a of args) bytes += a.length;
  if (bytes > MAX_COMMAND_BYTES) {
    throw new CommandTooLarge(`redis command of ${bytes} bytes (most ${MAX_COMMAND_BYTES})`);
  }
  return args;
}

interface NodeClient {
  scriptLoad(source: string): Promise<string>;
  sendCommand(args: string[]): Promise<unknown>;
}

type Send = (args: string[]) => Promise<unknown>;

async function scanNode(
  send: Send,
  pattern: string,
  onBatch: (keys: string[]) => Promise<void>,
): Promise<void> {
  let cursor = "0";
  do {
    const args = ["SCAN", cursor, "MATCH", pattern, "COUNT", "500"];
    const [next, keys] = await guard<[string, string[]]>(() => send(args));
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
    if (isAppError(e) || e instanceof CommandTooLarge) throw e;
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
