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
import { TiledError } from "./errors.js";
import type { TransportResponse } from "./http/types.js";

/** One problem a schema found: where, and what. */
export interface SchemaIssue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/**
 * What this library asks of a schema: a zod schema is one, and so is anything with the same
 * `safeParse`. Written out here (not zod's own types) so that the package's declarations do not
 * pull in zod's: a notebook's first cell type-checks them all (bench/first_cell.py).
 */
export interface Parser<T> {
  safeParse(data: unknown): { success: true; data: T } | { success: false; error: { readonly issues: readonly SchemaIssue[] } };
}

/** A schema the library exports (RunStart, SearchPage, …): `parse` throws, `safeParse` tells. */
export interface Schema<T> extends Parser<T> {
  parse(data: unknown): T;
}

/** Validate `data` with a schema; a failure names the first failing path and the URL. */
export function parseWith<T>(schema: Parser<T>, data: unknown, url?: string, requestId?: string): T {
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
export function parseJson<T>(response: TransportResponse, schema: Parser<T>, secrets: readonly string[] = []): T {
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
