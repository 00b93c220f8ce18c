/** Money of an order: amounts in yuan, rounded to cents. */

export function roundMoney(n: number): number {
  return Math.round(n * 100) / 100;
}

export interface PricedItem {
  price: number;
  quantity: number;
}

/** An item's price times its quantity, rounded to cents. */
export function subtotalOf(item: PricedItem): number {
  return roundMoney(item.price * item.quantity);
}

/** What an order costs: its items summed, rounded once at the end. */
export function totalOf(items: PricedItem[]): number {
  return roundMoney(items.reduce((sum, i) => sum + i.price * i.quantity, 0));
}
