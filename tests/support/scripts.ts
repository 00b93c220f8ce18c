/** Watching the Lua script calls a test's context makes (no store is mocked: the calls go on). */
import type { RedisReply } from "#lib/platform/redis.ts";
import type { ScriptName } from "#lib/platform/scripts.ts";
import type { TestEnv } from "./env.ts";

/** Runs `fn`, telling `seen` of every script call of the env's context meanwhile. */
export async function watchScripts(
  env: TestEnv,
  seen: (name: ScriptName, keys: string[], args: (string | number)[]) => void,
  fn: () => Promise<void>,
): Promise<void> {
  const real = env.ctx.scripts.run;
  const watching = (name: ScriptName, keys: string[], args: (string | number)[]) => {
    seen(name, keys, args);
    return real.call(env.ctx.scripts, name, keys, args) as Promise<RedisReply>;
  };
  env.ctx.scripts.run = watching as unknown as typeof real;
  try {
    await fn();
  } finally {
    env.ctx.scripts.run = real;
  }
}
