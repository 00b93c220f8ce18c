/**
 * `boxoffice --healthcheck`: asks this host's running boxoffice for `/api/health` and exits 0
 * when it answers UP, 1 otherwise (with one line saying why). For container HEALTHCHECKs on
 * images without curl or wget (distroless): the binary checks itself.
 */

/** The exit code: 0 healthy, 1 not. Reads PORT and HOST like the server does. */
export async function healthcheck(
  env: Record<string, string | undefined>,
  timeoutMs = 3000,
): Promise<number> {
  const port = env.PORT?.trim() || "8000";
  const host = env.HOST?.trim();
  const target = !host || host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "[::1]" : host;
  const url = `http://${
    target.includes(":") && !target.startsWith("[") ? `[${target}]` : target
  }:${port}/api/health`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    const body = await res.json().catch(() => undefined);
    if (res.ok && body?.data?.status === "UP") return 0;
    console.error(`healthcheck: ${url} answered ${res.status}`);
  } catch (e) {
    console.error(`healthcheck: ${url}: ${e instanceof Error ? e.message : e}`);
  }
  return 1;
}
