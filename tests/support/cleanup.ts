/** Drops the databases and Redis keys of one test run (see tools/run_tests.ts). */
import { mysql } from "#deps";
import { connectionOptions } from "#lib/platform/db.ts";
import { connectRedis } from "#lib/platform/redis.ts";

export function runDatabasePrefix(runId: string): string {
  return `bo_test_${runId}_`;
}

export async function cleanupRun(
  databaseUrl: string,
  redisUrl: string,
  runId: string,
): Promise<{ databases: number; keys: number }> {
  const prefix = runDatabasePrefix(runId);
  let databases = 0;
  const conn = await mysql.createConnection(connectionOptions(databaseUrl, false));
  try {
    const [rows] = await conn.query("SHOW DATABASES LIKE ?", [`${prefix.replaceAll("_", "\\_")}%`]);
    for (const row of rows as Record<string, string>[]) {
      const name = Object.values(row)[0];
      await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
      databases++;
    }
  } finally {
    await conn.end();
  }
  const redis = await connectRedis({ url: redisUrl });
  try {
    return { databases, keys: await redis.deleteByPrefix(prefix) };
  } finally {
    await redis.close();
  }
}
