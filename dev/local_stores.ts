/**
 * Finds MariaDB and Redis, or starts private ones. Used by `deno task start` (demo mode), by the
 * test runner and CI, and by the fault drills, which start stores on free loopback ports so they
 * can kill and restart them without touching anyone else's services.
 *
 * ```ts
 * const stores = await findOrStartStores({ dataDir: ".data" });
 * console.log(stores.databaseUrl, stores.redisUrl);
 * await stores.stop(); // stops only what it started
 * ```
 */
import { DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL } from "#lib/platform/config.ts";

/** A store process this module started (and may stop, kill or restart). */
export interface StoreProcess {
  readonly kind: "mariadb" | "redis";
  readonly port: number;
  readonly url: string;
  /** Graceful stop (SIGTERM), waiting for the process to exit. */
  stop(): Promise<void>;
  /** Immediate death (SIGKILL), as in a crash. */
  kill(): Promise<void>;
}

/** Missing binaries: the message says what to install, and main prints it without a stack. */
export class StoreSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StoreSetupError";
  }
}

export interface FoundStores {
  databaseUrl: string;
  redisUrl: string;
  /** What was started here (empty when both stores were already running). */
  started: StoreProcess[];
  stop(): Promise<void>;
}

export interface FindOptions {
  databaseUrl?: string;
  redisUrl?: string;
  /** A Redis Cluster is never started here: it must be running. */
  redisClusterNodes?: string[];
  dataDir: string;
  /** When false, nothing is started: a missing store is an error. */
  startMissing?: boolean;
  /** Progress lines for a human ("starting a private mariadbd ..."). */
  say?: (line: string) => void;
}

export async function findOrStartStores(options: FindOptions): Promise<FoundStores> {
  const say = options.say ?? (() => {});
  const startMissing = options.startMissing ?? true;
  const started: StoreProcess[] = [];
  try {
    let databaseUrl = options.databaseUrl;
    if (databaseUrl === undefined) {
      if (await isListening("127.0.0.1", 3306)) {
        databaseUrl = DEFAULT_DATABASE_URL;
      } else if (startMissing) {
        say(
          "nothing listens on 127.0.0.1:3306: starting a private mariadbd under " +
            `${options.dataDir}/mariadb`,
        );
        const p = await reuseOrStartMariadb(`${options.dataDir}/mariadb`);
        if (p.started) started.push(p.process);
        databaseUrl = `mysql://root@127.0.0.1:${p.process.port}/boxoffice`;
      } else {
        throw new StoreSetupError(
          "MariaDB: nothing listens on 127.0.0.1:3306; set DATABASE_URL or start in demo mode",
        );
      }
    }
    let redisUrl = options.redisUrl;
    if (redisUrl === undefined && !options.redisClusterNodes) {
      if (await isListening("127.0.0.1", 6379)) {
        redisUrl = DEFAULT_REDIS_URL;
      } else if (startMissing) {
        say(
          `nothing listens on 127.0.0.1:6379: starting a private redis-server under ` +
            `${options.dataDir}/redis`,
        );
        const p = await reuseOrStartRedis(`${options.dataDir}/redis`);
        if (p.started) started.push(p.process);
        redisUrl = p.process.url;
      } else {
        throw new StoreSetupError(
          "Redis: nothing listens on 127.0.0.1:6379; set REDIS_URL or start in demo mode",
        );
      }
    }
    return {
      databaseUrl,
      redisUrl: redisUrl ?? "",
      started,
      stop: async () => {
        for (const p of started.reverse()) await p.stop();
      },
    };
  } catch (e) {
    for (const p of started) await p.stop();
    throw e;
  }
}

/**
 * A private mariadbd over `dir`. A previous run's server that still runs (its port recorded in
 * `dir/boxoffice.port` answers) is reused rather than fighting it for the data files.
 */
export async function reuseOrStartMariadb(
  dir: string,
  port?: number,
): Promise<{ process: StoreProcess; started: boolean }> {
  const recorded = await readPort(`${dir}/boxoffice.port`);
  if (recorded && await isListening("127.0.0.1", recorded)) {
    return { process: adoptedProcess("mariadb", recorded), started: false };
  }
  return { process: await startMariadb({ dir, port }), started: true };
}

export async function reuseOrStartRedis(
  dir: string,
  port?: number,
): Promise<{ process: StoreProcess; started: boolean }> {
  const recorded = await readPort(`${dir}/boxoffice.port`);
  if (recorded && await isListening("127.0.0.1", recorded)) {
    return { process: adoptedProcess("redis", recorded), started: false };
  }
  return { process: await startRedis({ dir, port }), started: true };
}

/** Starts mariadbd on 127.0.0.1 with its data in `dir` (initialised on first use). */
export async function startMariadb(
  opts: { dir: string; port?: number; extraArgs?: string[] },
): Promise<StoreProcess> {
  const server = await findBinary(["mariadbd", "mysqld"]);
  const installer = await findBinary(["mariadb-install-db", "mysql_install_db"]);
  if (!server || !installer) {
    throw new StoreSetupError(
      "MariaDB is not installed and nothing listens on 127.0.0.1:3306. Install it with " +
        "`sudo apt-get install -y mariadb-server` (or set DATABASE_URL to a running server).",
    );
  }
  const dir = await absolute(opts.dir);
  await Deno.mkdir(dir, { recursive: true });
  const dataDir = `${dir}/data`;
  const asRoot = Deno.uid?.() === 0 ? ["--user=root"] : [];
  if (!await exists(`${dataDir}/mysql`)) {
    const out = await new Deno.Command(installer, {
      args: [
        "--no-defaults",
        `--datadir=${dataDir}`,
        "--auth-root-authentication-method=normal",
        "--skip-test-db",
        ...asRoot,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      throw new StoreSetupError(
        `mariadb-install-db failed: ${
          new TextDecoder().decode(out.stderr).trim().split("\n").pop()
        }`,
      );
    }
  }
  const port = opts.port ?? await freePort();
  const child = new Deno.Command(server, {
    args: [
      "--no-defaults",
      `--datadir=${dataDir}`,
      `--port=${port}`,
      "--bind-address=127.0.0.1",
      `--socket=${dir}/mysqld.sock`,
      `--pid-file=${dir}/mysqld.pid`,
      `--log-error=${dir}/error.log`,
      "--skip-log-bin",
      "--innodb-buffer-pool-size=128M",
      "--max-connections=500",
      ...(opts.extraArgs ?? []),
      ...asRoot,
    ],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const proc = ownedProcess("mariadb", port, `mysql://root@127.0.0.1:${port}`, child);
  if (!await waitUntil(() => isListening("127.0.0.1", port), 30_000, child)) {
    await proc.kill();
    throw new StoreSetupError(`mariadbd did not start on port ${port}; see ${dir}/error.log`);
  }
  await Deno.writeTextFile(`${dir}/boxoffice.port`, String(port));
  return proc;
}

/** Starts redis-server on 127.0.0.1, keeping nothing on disk (Redis is rebuilt from MySQL). */
export async function startRedis(
  opts: { dir: string; port?: number; extraArgs?: string[] },
): Promise<StoreProcess> {
  const server = await findBinary(["redis-server"]);
  if (!server) {
    throw new StoreSetupError(
      "Redis is not installed and nothing listens on 127.0.0.1:6379. Install it with " +
        "`sudo apt-get install -y redis-server` (or set REDIS_URL to a running server).",
    );
  }
  const dir = await absolute(opts.dir);
  await Deno.mkdir(dir, { recursive: true });
  const port = opts.port ?? await freePort();
  const child = new Deno.Command(server, {
    args: [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      "--dir",
      dir,
      "--logfile",
      `${dir}/redis-${port}.log`,
      ...(opts.extraArgs ?? []),
    ],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const proc = ownedProcess("redis", port, `redis://127.0.0.1:${port}`, child);
  if (!await waitUntil(() => isListening("127.0.0.1", port), 10_000, child)) {
    await proc.kill();
    throw new StoreSetupError(`redis-server did not start on port ${port}; see ${dir}`);
  }
  await Deno.writeTextFile(`${dir}/boxoffice.port`, String(port));
  return proc;
}

function ownedProcess(
  kind: StoreProcess["kind"],
  port: number,
  url: string,
  child: Deno.ChildProcess,
): StoreProcess {
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  const signal = async (sig: Deno.Signal) => {
    if (exited) return;
    try {
      child.kill(sig);
    } catch {
      // Already gone.
    }
    await status;
  };
  return { kind, port, url, stop: () => signal("SIGTERM"), kill: () => signal("SIGKILL") };
}

/** A store left running by an earlier run: used, never stopped, by this one. */
function adoptedProcess(kind: StoreProcess["kind"], port: number): StoreProcess {
  const url = kind === "redis" ? `redis://127.0.0.1:${port}` : `mysql://root@127.0.0.1:${port}`;
  return { kind, port, url, stop: async () => {}, kill: async () => {} };
}

/** True when something accepts TCP connections on host:port. */
export async function isListening(host: string, port: number): Promise<boolean> {
  try {
    const conn = await Deno.connect({ hostname: host, port });
    conn.close();
    return true;
  } catch {
    return false;
  }
}

/** A TCP port that was free a moment ago. */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function waitUntil(
  check: () => Promise<boolean>,
  ms: number,
  child: Deno.ChildProcess,
): Promise<boolean> {
  let dead = false;
  child.status.then(() => dead = true);
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && !dead) {
    if (await check()) return true;
    // Polling a process that is starting up: there is no event to wait for.
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

async function findBinary(names: string[]): Promise<string | undefined> {
  const dirs = [
    ...(Deno.env.get("PATH") ?? "").split(":"),
    "/usr/sbin",
    "/usr/local/sbin",
    "/sbin",
  ];
  for (const name of names) {
    for (const d of dirs) {
      if (d && await exists(`${d}/${name}`)) return `${d}/${name}`;
    }
  }
  return undefined;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

async function readPort(path: string): Promise<number | undefined> {
  try {
    const n = Number((await Deno.readTextFile(path)).trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

async function absolute(path: string): Promise<string> {
  await Deno.mkdir(path, { recursive: true });
  return await Deno.realPath(path);
}
