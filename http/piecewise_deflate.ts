/**
 * A reply compressed piece by piece (Content-Encoding: deflate, the zlib format of RFC 1950):
 * each piece is compressed once, on its own, and cached by its identity; a reply is its pieces'
 * compressed bytes stitched together. A seat layout is rebuilt from blocks of 64 seats whenever
 * a hold changes a few of them (lib/seating/layout.ts), so compressing the whole reply each time
 * (10,000 seats, 1.6 MB) would cost ~10 ms; this costs the changed blocks and a copy.
 *
 * How the stitching holds: each piece is raw deflate ending in a sync flush (byte-aligned, not
 * final, no reference to earlier data), so the pieces concatenate into one valid stream, closed
 * by an empty final block (`03 00`). The zlib trailer is the Adler-32 of the whole uncompressed
 * reply, combined from the pieces' own (zlib's adler32_combine) without reading them again.
 */
import { constants, deflateRawSync } from "node:zlib";
import { concat, type JsonChunk, JsonJoin } from "#lib/platform/json_text.ts";

interface Compressed {
  raw: Uint8Array;
  adler: number;
  length: number;
}

/**
 * A piece's compressed form is kept on the piece itself, so that it goes with the piece. In a
 * WeakMap keyed by the pieces, as it was, V8 kept the values of pieces already dropped until
 * its next full collection: a loop that drops a 12 kB piece with a 1.1 kB value each time ran
 * up 20-39 MB of array buffers that way, against 3 MB with the value on the piece.
 */
const COMPRESSED = Symbol("compressed");
type Piece = JsonChunk & { [COMPRESSED]?: Compressed };
/**
 * A block of 64 seats (12 kB of JSON) at level 2: 18 µs and 1,135 bytes, against 27 µs and
 * 1,123 at level 4 (1: 11 µs but 1,460). Under a hold storm every hold compresses its block
 * again; that was 7 % of the server's busy time in bench mixed at level 4.
 */
const PIECE_LEVEL = 2;
const ZLIB_HEADER = new Uint8Array([0x78, 0x9c]);
const FINAL_EMPTY_BLOCK = new Uint8Array([0x03, 0x00]);

/** The zlib stream of the pieces' concatenation. */
export function deflatePieces(pieces: readonly JsonChunk[]): Uint8Array<ArrayBuffer> {
  let adler = 1;
  const parts = pieces.map((piece) => {
    let c = (piece as Piece)[COMPRESSED];
    if (!c) {
      const bytes = piece instanceof JsonJoin ? joined(piece) : piece;
      const out = deflateRawSync(bytes, {
        level: PIECE_LEVEL,
        finishFlush: constants.Z_SYNC_FLUSH,
      });
      // A copy of its own size: node:zlib's output is a view of a 16 kB buffer, 14 times the
      // 1.1 kB of a compressed block, kept as long as the piece is.
      c = { raw: new Uint8Array(out), adler: adler32(bytes), length: bytes.length };
      (piece as Piece)[COMPRESSED] = c;
    }
    adler = adler32Combine(adler, c.adler, c.length);
    return c.raw;
  });
  const trailer = new Uint8Array(4);
  new DataView(trailer.buffer).setUint32(0, adler);
  return concat([...parts, FINAL_EMPTY_BLOCK], ZLIB_HEADER, trailer);
}

/** Where a JsonJoin is joined to be compressed: its bytes are needed only for that moment. */
let scratch = new Uint8Array(16 * 1024);
function joined(piece: JsonJoin): Uint8Array {
  if (scratch.length < piece.length) {
    scratch = new Uint8Array(Math.max(piece.length, scratch.length * 2));
  }
  return scratch.subarray(0, piece.writeTo(scratch, 0));
}

const BASE = 65521;

export function adler32(bytes: Uint8Array): number {
  let a = 1;
  let b = 0;
  // 3800 bytes keep both sums below 2^31 before the modulo (zlib's NMAX is 5552 for 32 bits).
  for (let i = 0; i < bytes.length;) {
    const end = Math.min(i + 3800, bytes.length);
    for (; i < end; i++) {
      a += bytes[i];
      b += a;
    }
    a %= BASE;
    b %= BASE;
  }
  return ((b << 16) | a) >>> 0;
}

/** The Adler-32 of A then B, from A's, B's and B's length (zlib's adler32_combine). */
export function adler32Combine(adlerA: number, adlerB: number, lengthB: number): number {
  const rem = lengthB % BASE;
  let sum1 = adlerA & 0xffff;
  let sum2 = (rem * sum1) % BASE;
  sum1 += (adlerB & 0xffff) + BASE - 1;
  sum2 += ((adlerA >>> 16) & 0xffff) + ((adlerB >>> 16) & 0xffff) + BASE - rem;
  if (sum1 >= BASE) sum1 -= BASE;
  if (sum1 >= BASE) sum1 -= BASE;
  if (sum2 >= 2 * BASE) sum2 -= 2 * BASE;
  if (sum2 >= BASE) sum2 -= BASE;
  return ((sum2 << 16) | sum1) >>> 0;
}
