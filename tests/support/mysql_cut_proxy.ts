/**
 * A TCP proxy in front of the test MariaDB that can cut one connection at a chosen moment, to
 * make a commit's outcome unknown to the client:
 * - "before": the request carrying the marker never reaches the server (nothing is executed);
 * - "after": the request reaches the server, the server's reply is dropped, and the connection
 *   is closed once the reply has come back (the server has executed everything, COMMIT
 *   included: it flushes a multi-statement's small replies at the end of the command).
 * In both cases the client sees the connection lost with no reply. Loopback only.
 */

export type CutMoment = "before" | "after";

export interface CutProxy {
  /** mysql://root@127.0.0.1:<port> (no database), like testStores().databaseUrl. */
  url: string;
  /**
   * Arms the cut for the next client request whose bytes contain `marker`; resolves when that
   * connection was cut.
   */
  cutNext(marker: string, moment: CutMoment): Promise<void>;
  close(): Promise<void>;
}

export function cutProxy(serverUrl: string): CutProxy {
  const upstream = new URL(serverUrl);
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const open = new Set<Deno.Conn>();
  let armed: { marker: string; moment: CutMoment; done: () => void } | undefined;

  const closeQuietly = (c: Deno.Conn) => {
    open.delete(c);
    try {
      c.close();
    } catch {
      // already closed
    }
  };

  async function pump(
    from: Deno.Conn,
    to: Deno.Conn,
    onChunk: (chunk: Uint8Array) => "forward" | "drop" | "stop",
  ) {
    const buf = new Uint8Array(64 * 1024);
    try {
      for (;;) {
        const n = await from.read(buf);
        if (n === null) break;
        const chunk = buf.slice(0, n);
        const what = onChunk(chunk);
        if (what === "stop") break;
        if (what === "drop") continue;
        for (let off = 0; off < chunk.length;) off += await to.write(chunk.subarray(off));
      }
    } catch {
      // the other side went away
    }
    closeQuietly(from);
    closeQuietly(to);
  }

  async function serve(client: Deno.Conn) {
    let server: Deno.Conn;
    try {
      server = await Deno.connect({
        hostname: upstream.hostname,
        port: Number(upstream.port || 3306),
      });
    } catch {
      closeQuietly(client);
      return;
    }
    open.add(client);
    open.add(server);
    let cutAfterReply: (() => void) | undefined;
    const decoder = new TextDecoder("latin1");
    pump(client, server, (chunk) => {
      if (armed && decoder.decode(chunk).includes(armed.marker)) {
        const cut = armed;
        armed = undefined;
        if (cut.moment === "before") {
          cut.done();
          return "stop";
        }
        cutAfterReply = cut.done;
      }
      return "forward";
    });
    pump(server, client, () => {
      if (!cutAfterReply) return "forward";
      cutAfterReply();
      return "stop";
    });
  }

  const accepting = (async () => {
    try {
      for await (const conn of listener) serve(conn);
    } catch {
      // listener closed
    }
  })();

  const { port } = listener.addr as Deno.NetAddr;
  return {
    url: `mysql://root@127.0.0.1:${port}`,
    cutNext(marker, moment) {
      return new Promise<void>((done) => {
        armed = { marker, moment, done };
      });
    },
    async close() {
      listener.close();
      for (const c of [...open]) closeQuietly(c);
      await accepting;
    },
  };
}
