// The reference system has both /api/show/list and /api/show/page; they answer the same.
export { GET } from "./list.ts";
