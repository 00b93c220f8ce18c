/**
 * A value already written as JSON text. The envelope splices it in as it is, so a large reply
 * assembled from cached fragments (a 1,000-seat layout) is not serialised field by field on
 * every request.
 */
export class JsonText {
  /**
   * `shared`: the same instance is served to many requests (a cached layout), so its bytes are
   * worth encoding and compressing once (http/envelope.ts) rather than per request.
   */
  constructor(readonly text: string, readonly shared = false) {}
}
