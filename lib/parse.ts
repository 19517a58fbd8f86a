/**
 * parse.ts — check that an answer has the shape the API promises, with a message that says where not.
 *
 * Every JSON answer goes through a zod schema (schemas/). A mismatch is "invalid-response", naming
 * the first failing paths and the URL, instead of an `undefined` surfacing three calls later.
 *
 * @example
 * const page = parseJson(response, SearchPage);        // a TransportResponse's body
 * const structure = parseWith(ArrayStructure, item.attributes.structure, url);
 */
import { z } from "zod";
import { TiledError } from "./errors.js";
import type { TransportResponse } from "./http/types.js";

/** Validate `data` with a zod schema; a failure names the first failing path and the URL. */
export function parseWith<S extends z.ZodType>(schema: S, data: unknown, url?: string, requestId?: string): z.infer<S> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const issues = result.error.issues.slice(0, 3).map((issue) => {
    const path = issue.path.length ? issue.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("").replace(/^\./, "") : "(root)";
    return `at ${path}: ${issue.message}`;
  });
  const more = result.error.issues.length > 3 ? ` (and ${result.error.issues.length - 3} more)` : "";
  throw new TiledError("invalid-response", `The server's answer does not match the expected schema ${issues.join("; ")}${more}`, {
    url,
    requestId,
    cause: result.error,
  });
}

/** Parse a response body as JSON and validate it; a body that is not JSON is "invalid-response". */
export function parseJson<S extends z.ZodType>(response: TransportResponse, schema: S, secrets: readonly string[] = []): z.infer<S> {
  const text = new TextDecoder().decode(response.body);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    const preview = text.length > 120 ? `${text.slice(0, 120)}…` : text;
    throw new TiledError("invalid-response", `The server's answer is not JSON (${response.contentType || "no content type"}): ${JSON.stringify(preview)}`, {
      url: response.url,
      status: response.status,
      requestId: response.requestId,
      cause,
      secrets,
    });
  }
  return parseWith(schema, json, response.url, response.requestId);
}
