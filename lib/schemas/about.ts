/**
 * schemas/about.ts — `GET /api/v1/`: what the server is and what it can do.
 *
 * `queries` lists the query names the server registered; the client checks it before sending a
 * filter, because tiled silently ignores a filter it does not know.
 *
 * @example
 * const about = await transport.getJson(`${transport.baseUrl}/api/v1/`, About);
 * about.library_version;          // "0.2.20"
 * about.queries.includes("like"); // true
 * about.formats.array;            // ["application/octet-stream", "application/json", …]
 */
import { z } from "zod";
import { Authentication } from "./auth.js";

export const About = z.looseObject({
  api_version: z.number(),
  library_version: z.string(),
  /** MIME types per structure family or spec. */
  formats: z.record(z.string(), z.array(z.string())),
  /** Short names (`format=csv`) per structure family, per MIME type. */
  aliases: z.record(z.string(), z.record(z.string(), z.array(z.string()))),
  /** Registered query names: eq, noteq, comparison, contains, in, notin, like, fulltext, … */
  queries: z.array(z.string()),
  /** Who may log in, and how (schemas/auth.ts). */
  authentication: Authentication,
  links: z.record(z.string(), z.string().nullable()).nullable().optional(),
  meta: z.record(z.string(), z.unknown()).nullable().optional(),
});
export type About = z.infer<typeof About>;
