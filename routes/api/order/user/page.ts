// GET /api/order/user/page is the reference's second path to the caller's orders.
export { GET } from "../list.ts";
