// Ranking of best-available candidates: pure functions, no store.
import assert from "node:assert/strict";
import { type Place, rankBlocks, rankSeats, seatScore } from "#lib/seating/best.ts";

function grid(rows: number, cols: number): Place[] {
  const out: Place[] = [];
  for (let r = 1; r <= rows; r++) {
    for (let c = 1; c <= cols; c++) out.push({ rowNum: r, seatNum: c });
  }
  return out;
}

const label = (p: Place) => `${p.rowNum}-${p.seatNum}`;

Deno.test("seatScore: distance to the front centre, in seat widths", () => {
  assert.equal(seatScore({ rowNum: 1, seatNum: 3 }, 5), 0);
  assert.equal(seatScore({ rowNum: 1, seatNum: 1 }, 5), 2);
  assert.equal(seatScore({ rowNum: 4, seatNum: 3 }, 5), 3);
  assert.equal(seatScore({ rowNum: 4, seatNum: 7 }, 5), 5);
  // An even row has two centre seats, half a seat off the centre line.
  assert.equal(seatScore({ rowNum: 1, seatNum: 3 }, 6), 0.5);
  assert.equal(seatScore({ rowNum: 1, seatNum: 4 }, 6), 0.5);
});

Deno.test("rankBlocks: blocks of one row by mean score, then row, then seat number", () => {
  const places = grid(3, 6);
  const ranked = rankBlocks(places, 2, 6).map((i) => `${label(places[i])}+1`);
  // Centre of row 1 (0.5), beside it (1.0, the lower seat number first), centre of row 2 (1.12),
  // beside that (1.46), row 1's ends (2.0) before row 3's centre (2.06).
  assert.deepEqual(ranked.slice(0, 9), [
    "1-3+1",
    "1-2+1",
    "1-4+1",
    "2-3+1",
    "2-2+1",
    "2-4+1",
    "1-1+1",
    "1-5+1",
    "3-3+1",
  ]);
  // 5 blocks of 2 in each of 3 rows; none spans two rows.
  assert.equal(ranked.length, 15);
  assert.ok(!ranked.includes("1-6+1"));
  assert.equal(new Set(ranked).size, 15);
});

Deno.test("rankBlocks: no block across a gap (a disabled seat or an aisle)", () => {
  const places = grid(1, 6).filter((p) => p.seatNum !== 3);
  const ranked = rankBlocks(places, 2, 6).map((i) => label(places[i]));
  assert.deepEqual(ranked.sort(), ["1-1", "1-4", "1-5"]);
  assert.deepEqual(rankBlocks(places, 4, 6), []);
  assert.deepEqual(rankBlocks(places, 3, 6).map((i) => label(places[i])), ["1-4"]);
});

Deno.test("rankBlocks: one seat is a block of one; the whole row a block of its width", () => {
  const places = grid(2, 3);
  assert.deepEqual(rankBlocks(places, 1, 3), rankSeats(places, 3));
  assert.deepEqual(rankBlocks(places, 3, 3), [0, 3]);
  assert.deepEqual(rankBlocks(places, 4, 3), []);
});

Deno.test("rankSeats: best seat first, ties to the nearer row, then the lower number", () => {
  const places = grid(2, 3);
  assert.deepEqual(rankSeats(places, 3).map((i) => label(places[i])), [
    "1-2",
    "1-1",
    "1-3",
    "2-2",
    "2-1",
    "2-3",
  ]);
});
