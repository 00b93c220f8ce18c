/**
 * A TCP proxy in front of the test MariaDB that can cut one connection at a chosen moment, to
 * make a commit's outcome unknown to the client:
 * - "before": the request carrying the marker never reaches the server (nothing is executed);
 * - "after": the request reaches the server, the server's reply is dropped, and the connection
 *   is closed once the reply has come back (the server has executed everything, COMMIT
 *   included: it flushes a multi-statement's small replies at the end of the command).
 * In both cases the client sees the connection lost with no reply. A cut may also start an
 * outage: every connection closed, and new ones closed at once, for a while (the database
 * unreachable, as when it is down). Loopback only.
 */

export type CutMoment = "before" | "after";

export interface CutProxy {
  /** mysql://root@127.0.0.1:<port> (no database), like testStores().databaseUrl. */
  url: string;
  /**
   * Arms the cut for the next client request whose bytes contain `marker`; resolves when that
   * connection was cut. With `outageMs`, the database is unreachable from the cut on for that
   * long.
   */
  cutNext(marker: string, moment: CutMoment, outageMs?: number): Promise<void>;
  close(): Promise<void>;
}

export function cutProxy(serverUrl: string): CutProxy {
  const upstream = new URL(serverUrl);
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const open = new Set<Deno.Conn>();
  let armed: { marker: string; moment: CutMoment; done: () => void } | undefined;
  /** Until when every connection is refused (Date.now() ms). */
  let downUntil = 0;

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

  /** The database unreachable for `ms` from now: open connections closed, new ones refused. */
  function outage(ms: number) {
    downUntil = Date.now() + ms;
    for (const c of [...open]) closeQuietly(c);
  }

  async function serve(client: Deno.Conn) {
    if (Date.now() < downUntil) {
      closeQuietly(client);
      return;
    }
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
    let reply: Uint8Array = new Uint8Array(0);
    pump(server, client, (chunk) => {
      if (!cutAfterReply) return "forward";
      // Dropped; the cut waits for the reply's last packet (the server has then run all).
      reply = concat(reply, chunk);
      if (!replyComplete(reply)) return "drop";
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
    cutNext(marker, moment, outageMs) {
      return new Promise<void>((resolve) => {
        const done = () => {
          // Before anything else runs: the client's first look after the cut meets the outage.
          if (outageMs) outage(outageMs);
          resolve();
        };
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

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * True when `bytes` (a reply of statements that return no rows) holds its last packet: an ERR,
 * or an OK whose status lacks SERVER_MORE_RESULTS_EXISTS.
 */
function replyComplete(bytes: Uint8Array): boolean {
  let at = 0;
  while (at + 4 <= bytes.length) {
    const length = bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16);
    const payload = bytes.subarray(at + 4, at + 4 + length);
    if (payload.length < length) return false;
    at += 4 + length;
    if (payload[0] === 0xff) return true;
    if (payload[0] !== 0x00) continue;
    let p = 1;
    for (let i = 0; i < 2; i++) { // affected rows, last insert id (length-encoded)
      const first = payload[p];
      p += first < 0xfb ? 1 : first === 0xfc ? 3 : first === 0xfd ? 4 : 9;
    }
    const status = payload[p] | (payload[p + 1] << 8);
    if ((status & 0x0008) === 0) return true;
  }
  return false;
}
