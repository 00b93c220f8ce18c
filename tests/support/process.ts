/**
 * A boxoffice server (main.ts) in a child process, for tests and drills that need real HTTP, a
 * real port, signals and crashes. Its stdout is read line by line; `waitForLine` resolves on
 * the first line matching, so a test waits for an event, not for a clock.
 */
import { freePort } from "#dev/local_stores.ts";

const root = new URL("../..", import.meta.url).pathname;

export interface ServerProcess {
  port: number;
  url: string;
  /** The child's process id (for /proc/<pid>/status). */
  pid: number;
  /** Every line printed so far (stdout and stderr). */
  lines: string[];
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code. */
  exited: Promise<number>;
  signal(sig: Deno.Signal): void;
}

export function spawnServer(
  env: Record<string, string>,
  args: string[] = [],
): ServerProcess {
  const port = env.PORT ? Number(env.PORT) : freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--unstable-cron", `${root}main.ts`, ...args],
    cwd: root,
    env: { LOG_LEVEL: "info", PORT: String(port), ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (l: string) => void }[] = [];
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    let buffer = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      buffer += chunk;
      let nl;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        lines.push(line);
        for (const w of [...waiters]) {
          if (w.pattern.test(line)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(line);
          }
        }
      }
    }
    if (buffer) lines.push(buffer);
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  const exited = child.status.then(async (s) => {
    await pumps;
    return s.code;
  });
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    pid: child.pid,
    lines,
    exited,
    signal: (sig) => {
      try {
        child.kill(sig);
      } catch {
        // already gone
      }
    },
    waitForLine(pattern, timeoutMs = 60_000) {
      const seen = lines.find((l) => pattern.test(l));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(
            new Error(
              `no line matching ${pattern} within ${timeoutMs} ms:\n${lines.slice(-20).join("\n")}`,
            ),
          );
        }, timeoutMs);
        const w = {
          pattern,
          resolve: (l: string) => {
            clearTimeout(timer);
            resolve(l);
          },
        };
        waiters.push(w);
        exited.then(() => {
          if (waiters.includes(w)) {
            clearTimeout(timer);
            reject(
              new Error(
                `server exited before printing ${pattern}:\n${lines.slice(-20).join("\n")}`,
              ),
            );
          }
        });
      });
    },
  };
}
