/**
 * The scale-out topology of `deno task test:cluster`, all on 127.0.0.1 with free ports and temp
 * dirs: a Redis Cluster of 3 masters and 3 replicas, a MariaDB primary with one replica
 * (binlog replication), and boxoffice instances (main.ts) on both. Nothing here touches the
 * system's stores; `close()` stops everything this module started, failure or not.
 */
import { createClient, mysql } from "#deps";
import { startMariadb, startRedis, type StoreProcess } from "#dev/local_stores.ts";
import { connectionOptions } from "#lib/platform/db.ts";
import { type ServerProcess, spawnServer } from "../support/process.ts";
import { TEST_JWT_SECRET } from "../support/env.ts";

// ------------------------------------------------------------------ Redis Cluster

export interface ClusterNode {
  port: number;
  process: StoreProcess;
  dir: string;
}

export interface NodeInfo {
  id: string;
  port: number;
  role: "master" | "replica";
  failed: boolean;
  /** The master's id, for a replica. */
  masterId?: string;
  /** Slot ranges [from, to] of a master. */
  slots: [number, number][];
}

export interface RedisCluster {
  nodes: ClusterNode[];
  /** host:port of every node, for REDIS_CLUSTER_NODES. */
  seeds: string[];
  /** CLUSTER NODES as seen by a live node. */
  topology(): Promise<NodeInfo[]>;
  /** The node serving `slot` as master now. */
  masterOf(slot: number): Promise<NodeInfo>;
  /** One command on one node (by port). */
  command(port: number, args: string[]): Promise<unknown>;
  /** SIGKILLs the node on `port` (a crash: no goodbye to the cluster). */
  kill(port: number): Promise<void>;
  /** Waits until every live node says cluster_state:ok and sees `masters` live masters. */
  waitHealthy(masters: number, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

const NODE_TIMEOUT_MS = 2000;

export async function startRedisCluster(dir: string, size = 6): Promise<RedisCluster> {
  const nodes: ClusterNode[] = [];
  const clients = new Map<number, ReturnType<typeof createClient>>();
  const cluster: RedisCluster = {
    nodes,
    seeds: [],
    async command(port, args) {
      let c = clients.get(port);
      if (!c) {
        c = createClient({
          url: `redis://127.0.0.1:${port}`,
          socket: { reconnectStrategy: false, connectTimeout: 2000 },
        });
        c.on("error", () => {});
        await c.connect();
        clients.set(port, c);
      }
      return await c.sendCommand(args);
    },
    async topology() {
      for (const n of nodes) {
        try {
          return parseClusterNodes(String(await cluster.command(n.port, ["CLUSTER", "NODES"])));
        } catch {
          clients.get(n.port)?.destroy();
          clients.delete(n.port);
        }
      }
      throw new Error("no live cluster node");
    },
    async masterOf(slot) {
      const all = await cluster.topology();
      const m = all.find((n) =>
        n.role === "master" && !n.failed && n.slots.some(([a, b]) => slot >= a && slot <= b)
      );
      if (!m) throw new Error(`no live master serves slot ${slot}`);
      return m;
    },
    async kill(port) {
      const n = nodes.find((x) => x.port === port)!;
      clients.get(port)?.destroy();
      clients.delete(port);
      await n.process.kill();
    },
    async waitHealthy(masters, timeoutMs) {
      await until(`a healthy cluster with ${masters} live masters`, timeoutMs, async () => {
        try {
          const all = await cluster.topology();
          const live = all.filter((n) => n.role === "master" && !n.failed && n.slots.length);
          if (live.length !== masters) return false;
          for (const n of all.filter((x) => !x.failed)) {
            const info = String(await cluster.command(n.port, ["CLUSTER", "INFO"]));
            if (!/cluster_state:ok/.test(info)) return false;
          }
          return true;
        } catch {
          return false;
        }
      });
    },
    async close() {
      for (const c of clients.values()) c.destroy();
      clients.clear();
      await Promise.all(nodes.map((n) => n.process.kill().catch(() => {})));
    },
  };
  try {
    for (let i = 0; i < size; i++) {
      const nodeDir = `${dir}/redis-${i}`;
      const process = await startRedis({
        dir: nodeDir,
        extraArgs: [
          "--cluster-enabled",
          "yes",
          "--cluster-config-file",
          `${nodeDir}/nodes.conf`,
          "--cluster-node-timeout",
          String(NODE_TIMEOUT_MS),
        ],
      });
      nodes.push({ port: process.port, process, dir: nodeDir });
    }
    cluster.seeds = nodes.map((n) => `127.0.0.1:${n.port}`);
    const out = await new Deno.Command("redis-cli", {
      args: ["--cluster", "create", ...cluster.seeds, "--cluster-replicas", "1", "--cluster-yes"],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      throw new Error(`redis-cli --cluster create: ${new TextDecoder().decode(out.stderr)}`);
    }
    await cluster.waitHealthy(size / 2, 30_000);
    // Every replica attached and in sync, so a killed master has a replica to promote.
    await until("every replica in sync", 30_000, async () => {
      const all = await cluster.topology();
      const replicas = all.filter((n) => n.role === "replica");
      if (replicas.length !== size / 2) return false;
      for (const r of replicas) {
        const info = String(await cluster.command(r.port, ["INFO", "replication"]));
        if (!/master_link_status:up/.test(info)) return false;
      }
      return true;
    });
  } catch (e) {
    await cluster.close();
    throw e;
  }
  return cluster;
}

/** CLUSTER NODES → one entry per node. */
export function parseClusterNodes(text: string): NodeInfo[] {
  return text.trim().split("\n").map((line) => {
    const [id, addr, flags, master, , , , , ...slots] = line.trim().split(" ");
    const f = flags.split(",");
    return {
      id,
      port: Number(/:(\d+)@/.exec(addr)?.[1]),
      role: f.includes("master") ? "master" as const : "replica" as const,
      failed: f.includes("fail") || f.includes("fail?") || f.includes("noaddr"),
      masterId: master === "-" ? undefined : master,
      slots: slots.filter((s) => !s.startsWith("[")).map((s) => {
        const [a, b] = s.split("-").map(Number);
        return [a, b ?? a] as [number, number];
      }),
    };
  });
}

// ------------------------------------------------------------------ MariaDB primary + replica

type Connection = Awaited<ReturnType<typeof mysql.createConnection>>;

export interface ReplicatedMariadb {
  primary: StoreProcess;
  replica: StoreProcess;
  /** mysql://root@127.0.0.1:<port> of each, no database. */
  primaryUrl: string;
  replicaUrl: string;
  /** Returns once the replica has applied everything the primary has written so far. */
  caughtUp(timeoutMs?: number): Promise<void>;
  /** STOP SLAVE SQL_THREAD: the replica receives but does not apply (lag). */
  pauseApplying(): Promise<void>;
  resumeApplying(): Promise<void>;
  /** A query on the replica (tables named with their database). */
  replicaRows<T>(sql: string, params?: unknown[]): Promise<T[]>;
  /** SHOW SLAVE STATUS: running threads and seconds behind. */
  status(): Promise<{ io: string; sql: string; behind: number | null; error: string }>;
  close(): Promise<void>;
}

export async function startReplicatedMariadb(dir: string): Promise<ReplicatedMariadb> {
  const started: StoreProcess[] = [];
  const conns: Connection[] = [];
  try {
    const primary = await startMariadb({
      dir: `${dir}/mariadb-primary`,
      extraArgs: ["--server-id=1", "--log-bin=mysql-bin", "--binlog-format=ROW"],
    });
    started.push(primary);
    const replica = await startMariadb({
      dir: `${dir}/mariadb-replica`,
      extraArgs: ["--server-id=2", "--read-only=1", "--skip-slave-start"],
    });
    started.push(replica);
    const primaryUrl = `mysql://root@127.0.0.1:${primary.port}`;
    const replicaUrl = `mysql://root@127.0.0.1:${replica.port}`;
    const p = await mysql.createConnection(connectionOptions(primaryUrl, false));
    conns.push(p);
    const r = await mysql.createConnection(connectionOptions(replicaUrl, false));
    conns.push(r);
    // The replication account is made before the starting position, so it is not replicated
    // (the replica has no use for it); everything after it is.
    await p.query("CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY 'repl'");
    await p.query("GRANT REPLICATION SLAVE ON *.* TO 'repl'@'127.0.0.1'");
    const [[master]] = await p.query("SHOW MASTER STATUS") as unknown as [
      { File: string; Position: number }[],
    ];
    await r.query(
      `CHANGE MASTER TO MASTER_HOST = '127.0.0.1', MASTER_PORT = ?, MASTER_USER = 'repl',
        MASTER_PASSWORD = 'repl', MASTER_LOG_FILE = ?, MASTER_LOG_POS = ?`,
      [primary.port, master.File, master.Position],
    );
    await r.query("START SLAVE");
    const db: ReplicatedMariadb = {
      primary,
      replica,
      primaryUrl,
      replicaUrl,
      async caughtUp(timeoutMs = 30_000) {
        const [[{ pos }]] = await p.query("SELECT @@gtid_binlog_pos AS pos") as unknown as [
          { pos: string }[],
        ];
        if (!pos) return;
        // MASTER_GTID_WAIT blocks on the replica until it applied that position (0) or the
        // timeout passed (-1): an event to wait for, not a clock.
        const [[{ w }]] = await r.query("SELECT MASTER_GTID_WAIT(?, ?) AS w", [
          pos,
          timeoutMs / 1000,
        ]) as unknown as [{ w: number }[]];
        if (Number(w) !== 0) {
          throw new Error(
            `replica not caught up with ${pos}: ${JSON.stringify(await db.status())}`,
          );
        }
      },
      async pauseApplying() {
        await r.query("STOP SLAVE SQL_THREAD");
      },
      async resumeApplying() {
        await r.query("START SLAVE SQL_THREAD");
      },
      async replicaRows<T>(sql: string, params: unknown[] = []) {
        const [rows] = await r.query(sql, params);
        return rows as T[];
      },
      async status() {
        const [[s]] = await r.query("SHOW SLAVE STATUS") as unknown as [Record<string, unknown>[]];
        return {
          io: String(s.Slave_IO_Running),
          sql: String(s.Slave_SQL_Running),
          behind: s.Seconds_Behind_Master === null ? null : Number(s.Seconds_Behind_Master),
          error: String(s.Last_Error ?? ""),
        };
      },
      async close() {
        for (const c of conns) await c.end().catch(() => {});
        for (const s of started) await s.kill().catch(() => {});
      },
    };
    await until("the replica's threads running", 30_000, async () => {
      const s = await db.status();
      if (s.error) throw new Error(`replication error: ${s.error}`);
      return s.io === "Yes" && s.sql === "Yes";
    });
    return db;
  } catch (e) {
    for (const c of conns) await c.end().catch(() => {});
    for (const s of started) await s.kill().catch(() => {});
    throw e;
  }
}

// ------------------------------------------------------------------ boxoffice instances

export interface InstanceSettings {
  databaseUrl: string;
  databaseReadUrl: string;
  redisClusterNodes: string[];
  redisPrefix: string;
  vars?: Record<string, string>;
}

/** `n` boxoffice processes on the same stores, each answering /api/health before this returns. */
export async function startInstances(n: number, s: InstanceSettings): Promise<ServerProcess[]> {
  const servers = Array.from({ length: n }, () =>
    spawnServer({
      HOST: "127.0.0.1",
      DATABASE_URL: s.databaseUrl,
      DATABASE_READ_URL: s.databaseReadUrl,
      REDIS_CLUSTER_NODES: s.redisClusterNodes.join(","),
      REDIS_PREFIX: s.redisPrefix,
      JWT_SECRET: TEST_JWT_SECRET,
      LOG_LEVEL: "warn",
      DB_POOL_SIZE: "20",
      ...s.vars,
    }));
  try {
    await Promise.all(servers.map(async (srv) => {
      let exited = false;
      srv.exited.then(() => exited = true);
      await until(`instance on ${srv.port} to answer /api/health`, 90_000, async () => {
        if (exited) throw new Error(`instance exited:\n${srv.lines.slice(-20).join("\n")}`);
        const res = await fetch(`${srv.url}/api/health`).catch(() => undefined);
        await res?.body?.cancel();
        return res?.status === 200;
      });
    }));
  } catch (e) {
    await stopInstances(servers);
    throw e;
  }
  return servers;
}

export async function stopInstances(servers: ServerProcess[]): Promise<void> {
  for (const s of servers) s.signal("SIGKILL");
  await Promise.all(servers.map((s) => s.exited));
}

// ------------------------------------------------------------------ helpers

/** Polls `check` (a store starting, a failover) until it is true, or fails at the deadline. */
export async function until(
  what: string,
  timeoutMs: number,
  check: () => Promise<boolean>,
  pollMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!await check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
