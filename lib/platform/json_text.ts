/**
 * A value already written as JSON. The envelope splices it in as it is, so a large reply
 * assembled from cached fragments (a 10,000-seat layout) is not serialised field by field on
 * every request. It may be given as text or as UTF-8 bytes (the layout assembles bytes from
 * cached blocks, so a change of a few seats re-encodes a few blocks, not the whole reply), or as
 * a list of such byte chunks, which the envelope copies once into the reply; the other forms
 * are made when first asked for.
 */
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class JsonText {
  #text?: string;
  #bytes?: Uint8Array<ArrayBuffer>;
  #chunks?: readonly JsonChunk[];
  /**
   * The forms http/envelope.ts makes of this JSON (the reply's bytes, compressed or not), made
   * once and kept with it, so that they go when it goes: a layout rendered for one buyer makes
   * a 170 kB reply, and in a WeakMap keyed by the JsonText those could stay until V8's next
   * full collection (see http/piecewise_deflate.ts).
   */
  readonly derived: {
    envelope?: Uint8Array<ArrayBuffer>;
    gzip?: Uint8Array<ArrayBuffer>;
    deflate?: Uint8Array<ArrayBuffer>;
  } = {};

  /**
   * `shared`: the same instance is served to many requests (a cached layout), so its bytes are
   * worth encoding and compressing once (http/envelope.ts) rather than per request.
   */
  constructor(
    json: string | Uint8Array<ArrayBuffer> | readonly JsonChunk[],
    readonly shared = false,
  ) {
    if (typeof json === "string") this.#text = json;
    else if (json instanceof Uint8Array) this.#bytes = json;
    else this.#chunks = json;
  }

  get text(): string {
    return this.#text ??= decoder.decode(this.bytes);
  }

  get bytes(): Uint8Array<ArrayBuffer> {
    return this.#bytes ??= this.#chunks ? concat(this.#chunks) : encoder.encode(this.#text!);
  }

  /** Given in chunks (which a compressor may take one by one). */
  get chunked(): boolean {
    return this.#chunks !== undefined;
  }

  /** The UTF-8 in chunks, to be copied once into a larger buffer. */
  get chunks(): readonly JsonChunk[] {
    return this.#chunks ?? [this.bytes];
  }
}

/**
 * JSON values written joined by commas (a block of 64 seats of a layout), kept as the values:
 * a reply copies them straight into its own buffer and a compressor joins them in a scratch
 * buffer (http/piecewise_deflate.ts). A layout under holds changes a block per hold; a joined
 * 12 kB copy of each, kept for as long as its block was shown, was the largest part of what the
 * server's full collections freed under bench mixed.
 */
export class JsonJoin {
  /** The joined bytes' length. */
  readonly length: number;

  constructor(readonly items: readonly Uint8Array[]) {
    let length = Math.max(items.length - 1, 0);
    for (const item of items) length += item.length;
    this.length = length;
  }

  /** Writes the joined bytes into `out` from `at`; the offset after them. */
  writeTo(out: Uint8Array, at: number): number {
    const items = this.items;
    for (let i = 0; i < items.length; i++) {
      if (i > 0) out[at++] = 0x2c; // ","
      out.set(items[i], at);
      at += items[i].length;
    }
    return at;
  }
}

/** A piece of JSON text as UTF-8: bytes, or values to be joined by commas. */
export type JsonChunk = Uint8Array | JsonJoin;

/** The chunks, in order, in one buffer (with `head` before and `tail` after, if given). */
export function concat(
  chunks: readonly JsonChunk[],
  head?: Uint8Array,
  tail?: Uint8Array,
): Uint8Array<ArrayBuffer> {
  let length = (head?.length ?? 0) + (tail?.length ?? 0);
  for (const c of chunks) length += c.length;
  const out = new Uint8Array(length);
  let at = 0;
  if (head) {
    out.set(head, at);
    at += head.length;
  }
  for (const c of chunks) {
    if (c instanceof JsonJoin) at = c.writeTo(out, at);
    else {
      out.set(c, at);
      at += c.length;
    }
  }
  if (tail) out.set(tail, at);
  return out;
}
