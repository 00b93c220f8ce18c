import assert from "node:assert/strict";
import { roundMoney, subtotalOf, totalOf } from "#lib/orders/pricing.ts";

Deno.test("roundMoney: to cents, halves up, no float noise", () => {
  assert.equal(roundMoney(0.1 + 0.2), 0.3);
  assert.equal(roundMoney(2.345), 2.35);
  assert.equal(roundMoney(2.344), 2.34);
  assert.equal(roundMoney(380), 380);
  assert.equal(roundMoney(0), 0);
});

Deno.test("subtotalOf: price times quantity, rounded", () => {
  assert.equal(subtotalOf({ price: 19.99, quantity: 3 }), 59.97);
  assert.equal(subtotalOf({ price: 0.1, quantity: 3 }), 0.3);
  assert.equal(subtotalOf({ price: 680, quantity: 1 }), 680);
});

Deno.test("totalOf: a tier's quantity, or seats of different prices, summed then rounded", () => {
  assert.equal(totalOf([{ price: 0.1, quantity: 3 }]), 0.3);
  assert.equal(
    totalOf([{ price: 0.1, quantity: 1 }, { price: 0.2, quantity: 1 }, {
      price: 880,
      quantity: 1,
    }]),
    880.3,
  );
  assert.equal(totalOf([]), 0);
  // Rounded once, at the end: three items of 0.333 are 1.00, not 0.99.
  assert.equal(totalOf([0.333, 0.333, 0.334].map((price) => ({ price, quantity: 1 }))), 1);
});
