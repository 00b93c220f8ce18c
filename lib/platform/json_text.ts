/**
 * A value already written as JSON text. The envelope splices it in as it is, so a large reply
 * assembled from cached fragments (a 1,000-seat layout) is not serialised field by field on
 * every request.
 */
export class JsonText {
  constructor(readonly text: string) {}
}
