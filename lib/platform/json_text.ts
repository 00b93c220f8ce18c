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
  #chunks?: readonly Uint8Array[];
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
    json: string | Uint8Array<ArrayBuffer> | readonly Uint8Array[],
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
  get chunks(): readonly Uint8Array[] {
    return this.#chunks ?? [this.bytes];
  }
}

/** The chunks, in order, in one buffer (with `head` before and `tail` after, if given). */
export function concat(
  chunks: readonly Uint8Array[],
  head?: Uint8Array,
  tail?: Uint8Array,
): Uint8Array<ArrayBuffer> {
  let length = (head?.length ?? 0) + (tail?.length ?? 0);
  for (const c of chunks) length += c.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const c of head ? [head, ...chunks] : chunks) {
    out.set(c, at);
    at += c.length;
  }
  if (tail) out.set(tail, at);
  return out;
}
