/**
 * Reply shapes declared once, as zod schemas. A route's `data` schema types its handler's result
 * (http/route.ts); a domain function that returns a record for a reply derives its return type
 * from the same schema instead of declaring an interface beside it:
 *
 * ```ts
 * export const OrderView = z.object({ orderNo: z.string(), createTime: TimeOut });
 * export type OrderView = ShapeOf<typeof OrderView>; // { orderNo: string; createTime: Date | string }
 * ```
 *
 * Lives in lib/platform (zod comes through #deps) so that lib/ can use it without importing http/.
 */
import { z } from "#deps";

/** A time in a reply: the code gives a Date, the envelope writes it in the service's zone. */
export const TimeOut = z.string().brand<"Time">().openapi({
  example: "2026-12-31T19:30:00+08:00",
});

/** The brand of `TimeOut`. */
export type TimeBrand = z.$brand<"Time">;

/**
 * What code returns so that the envelope writes `T` (the output of a reply schema): the same
 * shape, with a Date (or the string itself) wherever a time goes out.
 */
export type Renders<T> = T extends TimeBrand ? Date | string
  : T extends ReadonlyArray<infer E> ? ReadonlyArray<Renders<E>>
  : T extends Date ? never
  : T extends object ? { [K in keyof T]: Renders<T[K]> }
  : T;

/** The value code returns for a reply declared by the schema `S`. */
export type ShapeOf<S extends z.ZodType> = Renders<z.output<S>>;
