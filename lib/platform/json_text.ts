/**
 * A value already written as JSON. The envelope splices it in as it is, so a large reply
 * assembled from cached fragments (a 10,000-seat layout) is not serialised field by field on
 * every request. It may be given as text or as UTF-8 bytes (the layout assembles bytes from
 * cached blocks, so a change of a few seats re-encodes a few blocks, not the whole reply); the
 * other form is made when first asked for.
 */
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class JsonText {
  #text?: string;
  #bytes?: Uint8Array<ArrayBuffer>;

  /**
   * `shared`: the same instance is served to many requests (a cached layout), so its bytes are
   * worth encoding and compressing once (http/envelope.ts) rather than per request.
   */
  constructor(json: string | Uint8Array<ArrayBuffer>, readonly shared = false) {
    if (typeof json === "string") this.#text = json;
    else this.#bytes = json;
  }

  get text(): string {
    return this.#text ??= decoder.decode(this.#bytes!);
  }

  get bytes(): Uint8Array<ArrayBuffer> {
    return this.#bytes ??= encoder.encode(this.#text!);
  }
}
