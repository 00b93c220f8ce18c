import assert from "node:assert/strict";
import { createClient, mysql } from "#deps";
import { connectionOptions } from "#lib/platform/db.ts";
import { isListening, reuseOrStartMariadb, reuseOrStartRedis } from "#dev/local_stores.ts";

Deno.test({
  name: "private stores: started under a data dir, reused while they run, stopped on request",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const maria = await reuseOrStartMariadb(`${dir}/mariadb`);
      const redis = await reuseOrStartRedis(`${dir}/redis`);
      try {
        assert.equal(maria.started, true);
        assert.equal(redis.started, true);
        const conn = await mysql.createConnection(connectionOptions(`${maria.process.url}/mysql`));
        const [rows] = await conn.query("SELECT 1 + 1 AS two");
        assert.deepEqual(rows, [{ two: 2 }]);
        await conn.end();
        const client = createClient({ url: redis.process.url });
        await client.connect();
        assert.equal(await client.ping(), "PONG");
        await client.close();
        // A second start while they run reuses them instead of fighting for the data files.
        const again = await reuseOrStartMariadb(`${dir}/mariadb`);
        assert.equal(again.started, false);
        assert.equal(again.process.port, maria.process.port);
      } finally {
        await maria.process.stop();
        await redis.process.stop();
      }
      assert.equal(await isListening("127.0.0.1", maria.process.port), false);
      assert.equal(await isListening("127.0.0.1", redis.process.port), false);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
