/**
 * How far one hot tier goes when its stock is split over N slots of a Redis Cluster
 * (docs/scale.md). Starts its own cluster (3 masters + 3 replicas) on free loopback ports, and
 * stops it at the end; prints one JSON object, bench/ style (ratios against N = 1 measured in
 * the same run).
 *
 * 1. Throughput: a take-if-enough script (`GET`, compare, `DECRBY`, as lua/reserve.lua does for
 *    a tier's counter) on 1, 2 or 4 shard keys, each shard in its own slot, the slots on as many
 *    masters as there are (4 shards on 3 masters: two share one). The generator is the same for
 *    every N: 4 redis-benchmark processes, process p on shard p mod N. The bare run is a script
 *    that does nothing, on the N = 4 layout: when it is not >= 2x the best N, the figure is the
 *    machine's (CPU, generator), not the shard layout's.
 * 2. The tail: a sale to the last ticket through the service's own cluster client, 2,000 buyers
 *    of 1, 2 or 4 tickets for 3,000, each on a random shard. A buyer their shard cannot serve
 *    leaves ("own shard"), tries the other shards ("then others"), or also has the shards
 *    rebalanced (the remainders moved onto one shard) and tries again ("then rebalance").
 *    Counted: buyers refused although the shards together held enough, stock left unsold,
 *    calls per buyer. Every run checks that sold + left = stock.
 *
 * Usage: deno run -A tools/bench_sharded_stock.ts [--requests 200000] [--trials 3]
 */
import { connectRedis } from "#lib/platform/redis.ts";
import { startRedisCluster } from "../tests/cluster/_topology.ts";

const TAKE =
  `-- KEYS[1] a shard's counter; ARGV[1] tickets. Returns what is left after the take, or -1
-- when the shard holds fewer than ARGV[1] (nothing taken).
local left = tonumber(redis.call('GET', KEYS[1]) or '0')
local q = tonumber(ARGV[1])
if left < q then return -1 end
return redis.call('DECRBY', KEYS[1], q)`;
const DRAIN = `-- KEYS[1] a shard's counter. Takes all it holds (for a rebalance); returns how much.
local left = tonumber(redis.call('GET', KEYS[1]) or '0')
if left > 0 then redis.call('SET', KEYS[1], '0') end
return left`;
const NOOP = "return 0";

function arg(name: string, fallback: number): number {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? Number(Deno.args[i + 1]) : fallback;
}
const REQUESTS = arg("requests", 200_000);
const TRIALS = arg("trials", 3);
const GENERATORS = 4;
const CLIENTS_PER_GENERATOR = 16;
const PIPELINE = 16;

const dir = await Deno.makeTempDir({ prefix: "bo-bench-shards-" });
const cluster = await startRedisCluster(dir);
const client = await connectRedis({ clusterNodes: cluster.seeds });
try {
  const masters = (await cluster.topology()).filter((n) => n.role === "master");
  const masterOfSlot = (slot: number) =>
    masters.find((m) => m.slots.some(([a, b]) => slot >= a && slot <= b))!;
  const slotOf = async (key: string) =>
    Number(await cluster.command(masters[0].port, ["CLUSTER", "KEYSLOT", key]));
  const load = async (source: string) => {
    let sha = "";
    for (const m of masters) {
      sha = String(await cluster.command(m.port, ["SCRIPT", "LOAD", source]));
    }
    return sha;
  };
  const take = await load(TAKE);
  const drain = await load(DRAIN);
  const noop = await load(NOOP);

  /** N shard keys of one tier, on as many different masters as there are. */
  const shardKeys = async (tier: string, n: number) => {
    const keys: { key: string; port: number }[] = [];
    const used = new Map<number, number>();
    for (let i = 0; keys.length < n; i++) {
      const key = `bench:{${tier}:shard:${i}}`;
      const port = masterOfSlot(await slotOf(key)).port;
      // Spread: a master takes a second shard only once every master has one.
      if ((used.get(port) ?? 0) > Math.min(...masters.map((m) => used.get(m.port) ?? 0))) continue;
      used.set(port, (used.get(port) ?? 0) + 1);
      keys.push({ key, port });
    }
    return keys;
  };

  /** Requests per second of GENERATORS redis-benchmark processes, process p on shard p mod N. */
  const blast = async (shards: { key: string; port: number }[], sha: string) => {
    const per = Math.floor(REQUESTS / GENERATORS);
    const outs = await Promise.all(Array.from({ length: GENERATORS }, (_, p) => {
      const s = shards[p % shards.length];
      return new Deno.Command("redis-benchmark", {
        args: [
          "-h",
          "127.0.0.1",
          "-p",
          String(s.port),
          "-n",
          String(per),
          "-c",
          String(CLIENTS_PER_GENERATOR),
          "-P",
          String(PIPELINE),
          "-q",
          "EVALSHA",
          sha,
          "1",
          s.key,
          "1",
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
    }));
    let rps = 0;
    for (const o of outs) {
      const text = new TextDecoder().decode(o.stdout);
      const m = /([\d.]+) requests per second/.exec(text.split("\r").pop() ?? text);
      if (!o.success || !m) throw new Error(`redis-benchmark: ${text}`);
      rps += Number(m[1]);
    }
    return { rps: Math.round(rps), requests: per * GENERATORS };
  };
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

  // The layouts take turns within each trial, so a slow moment of the machine hurts them alike.
  const layouts = [
    { name: "n1", shards: await shardKeys("t1", 1), sha: take },
    { name: "n2", shards: await shardKeys("t2", 2), sha: take },
    { name: "n4", shards: await shardKeys("t4", 4), sha: take },
    { name: "bare", shards: await shardKeys("bare", 4), sha: noop },
  ];
  const trials = new Map(layouts.map((l) => [l.name, [] as number[]]));
  let conserved = true;
  for (let t = 0; t < TRIALS; t++) {
    for (const l of layouts) {
      const start = 1_000_000_000;
      for (const s of l.shards) await client.send(["SET", s.key, String(start)], s.key);
      const { rps, requests } = await blast(l.shards, l.sha);
      trials.get(l.name)!.push(rps);
      if (l.sha !== take) continue;
      let taken = 0;
      for (const s of l.shards) taken += start - Number(await client.send(["GET", s.key], s.key));
      // redis-benchmark may send up to one pipeline per client past -n; each take is exactly 1.
      conserved &&= taken >= requests &&
        taken <= requests + GENERATORS * CLIENTS_PER_GENERATOR * PIPELINE;
    }
  }
  const throughput = Object.fromEntries(
    layouts.map((l) => [l.name, { rps: median(trials.get(l.name)!), trials: trials.get(l.name)! }]),
  );
  const bare = throughput.bare.rps;

  // ---------------------------------------------------------------- the tail
  const tail = async (n: number, mode: "own shard" | "then others" | "then rebalance") => {
    const stock = 3000;
    const shards = await shardKeys(`tail${n}${mode.replaceAll(" ", "")}`, n);
    for (let i = 0; i < n; i++) {
      const share = Math.floor(stock / n) + (i < stock % n ? 1 : 0);
      await client.send(["SET", shards[i].key, String(share)], shards[i].key);
    }
    // 2,000 buyers of 1, 2 or 4 tickets (about 4,700 wanted for 3,000): each asks once, tries
    // every shard from a random one, and leaves when none can serve them.
    let seed = 17 + n;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const wants = Array.from({ length: 2000 }, () => [1, 2, 4][Math.floor(rnd() * 3)]);
    const starts = wants.map(() => Math.floor(rnd() * n));
    let sold = 0;
    let calls = 0;
    let refusedThoughEnough = 0;
    let rebalances = 0;
    const left = async () => {
      let sum = 0;
      for (const s of shards) sum += Number(await client.send(["GET", s.key], s.key));
      return sum;
    };
    const tryShards = async (i: number) => {
      for (let k = 0; k < (mode === "own shard" ? 1 : n); k++) {
        const s = shards[(starts[i] + k) % n];
        calls++;
        const r = Number(await client.send(["EVALSHA", take, "1", s.key, String(wants[i])], s.key));
        if (r >= 0) return true;
      }
      return false;
    };
    let rebalancing: Promise<void> | undefined;
    const consolidate = async () => {
      // Shards live in different slots: no script can move stock between them atomically. Each
      // remainder is drained (one atomic step) and added to shard 0; a crash between the two
      // loses sight of it until the counters are rebuilt from MySQL, the system of record.
      for (const s of shards.slice(1)) {
        calls++;
        const moved = Number(await client.send(["EVALSHA", drain, "1", s.key], s.key));
        if (moved > 0) {
          calls++;
          await client.send(["INCRBY", shards[0].key, String(moved)], shards[0].key);
        }
      }
      rebalances++;
    };
    let next = 0;
    const worker = async () => {
      while (next < wants.length) {
        const i = next++;
        if (await tryShards(i)) {
          sold += wants[i];
          continue;
        }
        if (await left() < wants[i]) continue; // truly sold out for this buyer
        if (mode === "then rebalance" && n > 1) {
          rebalancing ??= consolidate().finally(() => rebalancing = undefined);
          await rebalancing;
          if (await tryShards(i)) {
            sold += wants[i];
            continue;
          }
        }
        refusedThoughEnough++;
      }
    };
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 32 }, worker));
    const ms = performance.now() - t0;
    const remaining = await left();
    return {
      shards: n,
      mode,
      stock,
      sold,
      left: remaining,
      refusedThoughEnough,
      conserved: sold + remaining === stock,
      callsPerSale: Math.round((calls / wants.length) * 100) / 100,
      rebalances,
      ms: Math.round(ms),
    };
  };
  const tails = [await tail(1, "own shard")];
  for (const n of [2, 4]) {
    for (const mode of ["own shard", "then others", "then rebalance"] as const) {
      tails.push(await tail(n, mode));
    }
  }

  const base = throughput.n1.rps;
  const best = Math.max(throughput.n1.rps, throughput.n2.rps, throughput.n4.rps);
  console.log(JSON.stringify(
    {
      bench: "sharded-stock",
      machine: { cpus: navigator.hardwareConcurrency, note: "loopback, shared with other work" },
      cluster: { masters: masters.length, replicasPerMaster: 1 },
      generator: {
        processes: GENERATORS,
        clientsEach: CLIENTS_PER_GENERATOR,
        pipeline: PIPELINE,
        requests: REQUESTS,
        trials: TRIALS,
      },
      throughput,
      conserved,
      ratios: {
        n2: Math.round((throughput.n2.rps / base) * 100) / 100,
        n4: Math.round((throughput.n4.rps / base) * 100) / 100,
        bareOverBest: Math.round((bare / best) * 100) / 100,
      },
      generatorBound: bare < 2 * best,
      tail: tails,
    },
    null,
    2,
  ));
} finally {
  await client.close();
  await cluster.close();
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}
