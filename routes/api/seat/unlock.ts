// PUT /api/seat/unlock is the reference's second path to the release.
import { POST } from "./release.ts";

export const PUT = POST;
