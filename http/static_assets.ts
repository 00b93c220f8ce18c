/**
 * A route serving a fixed set of embedded files by name (`GET /docs/{asset}`, `GET /web/{asset}`):
 * the files are static text imports, so a `deno compile` binary carries them; an unknown name is
 * a 404 in the envelope.
 */
import { z } from "#deps";
import { notFound } from "#lib/platform/errors.ts";
import { defineRawRoute } from "./route.ts";

/** File name → [content type, body]. */
export type Assets = Record<string, [string, string]>;

export function staticAssetsRoute(
  options: { summary: string; what: string; maxAgeSeconds: number; assets: Assets },
) {
  const { assets } = options;
  return defineRawRoute({
    summary: options.summary,
    tags: ["operations"],
    auth: "public",
    produces: "text/plain",
    params: z.object({ asset: z.string() }),
    handler: ({ c, params }) => {
      const asset = Object.hasOwn(assets, params.asset) ? assets[params.asset] : undefined;
      if (!asset) throw notFound(`${options.what} ${params.asset}`);
      const [type, body] = asset;
      return c.body(body, 200, {
        "content-type": type,
        "cache-control": `public, max-age=${options.maxAgeSeconds}`,
      });
    },
  });
}
