// GET /api/user/info/current is the reference's second path to the caller's profile.
export { GET } from "../info.ts";
