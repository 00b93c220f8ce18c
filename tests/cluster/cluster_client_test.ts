/**
 * The service's Redis Cluster client (lib/platform/redis.ts) against a real cluster of 3 masters
 * and 3 replicas on loopback (about 15 s, so it is part of `deno task test`; the full scale-out
 * run is `deno task test:cluster`):
 * - a command sent without a routing key goes to its key's master (no MOVED bounced into a 500);
 * - after a master is SIGKILLed and its replica promoted, the client routes to the new master by
 *   itself: the first command after the promotion succeeds, with no restart.
 */
import assert from "node:assert/strict";
import { connectRedis, type Redis } from "#lib/platform/redis.ts";
import { type RedisCluster, startRedisCluster, until } from "./_topology.ts";

Deno.test({
  name: "Redis Cluster client: routes keyless sends, follows a failover by itself",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "bo-cluster-client-" });
    let cluster: RedisCluster | undefined;
    let redis: Redis | undefined;
    try {
      cluster = await startRedisCluster(dir);
      const rc = cluster;
      redis = await connectRedis({ clusterNodes: rc.seeds, onError: () => {} });
      const masters = (await rc.topology()).filter((n) => n.role === "master");
      // One key on each master, sent with no routing key: each lands where it belongs.
      const keys: { key: string; slot: number; owner: number }[] = [];
      for (let i = 0; keys.length < masters.length; i++) {
        const key = `t:{k${i}}`;
        const slot = Number(await rc.command(masters[0].port, ["CLUSTER", "KEYSLOT", key]));
        const owner = masters.find((m) => m.slots.some(([a, b]) => slot >= a && slot <= b))!;
        if (keys.some((k) => k.owner === owner.port)) continue;
        keys.push({ key, slot, owner: owner.port });
      }
      for (const { key } of keys) {
        assert.equal(await redis.send(["SET", key, "v"]), "OK");
        assert.equal(await redis.send(["GET", key]), "v");
        // Replicated before anything is killed, so the promoted replica has it.
        assert.equal(await redis.send(["WAIT", "1", "5000"], key), 1);
      }

      // The master of the first key dies; the cluster promotes its replica.
      const { key, slot } = keys[0];
      const victim = await rc.masterOf(slot);
      await rc.kill(victim.port);
      await until("a replica promoted", 30_000, async () => {
        try {
          return (await rc.masterOf(slot)).port !== victim.port;
        } catch {
          return false;
        }
      }, 50);
      await rc.waitHealthy(3, 30_000);
      // The client has not been told anything; its first command after the promotion works.
      assert.equal(await redis.send(["GET", key], key), "v");
      assert.equal(await redis.send(["SET", key, "w"]), "OK");
      assert.ok(redis.isOpen(), "every master it knows is connected");
    } finally {
      await redis?.close();
      await cluster?.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
