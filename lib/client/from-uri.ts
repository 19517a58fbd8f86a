/**
 * client/from-uri.ts — connect: `fromUri(uri)` returns the client for the node the URI names.
 *
 * Like tiled's Python `from_uri`. The URI is the server root (`http://127.0.0.1:8000`), a node
 * under it (`http://127.0.0.1:8000/bdp2022`), or a tiled API URL of a node
 * (`http://127.0.0.1:8000/api/v1/metadata/bdp2022`). The first request fetches the node, so a
 * wrong URI fails here, with a TiledError that says what to do.
 *
 * @example
 * const client = await fromUri("http://127.0.0.1:8000");
 * const catalog = await client.get("bdp2022", { kind: "container" });
 * const bdp = await fromUri("http://127.0.0.1:8000/bdp2022");          // the same node directly
 * const offline = await fromUri("http://127.0.0.1:8000", { snapshots: "replay" });
 */
import { badInput, checkPathSegments, redactText } from "../errors";
import { MetadataResponse } from "../schemas/node";
import type { RequestOptions } from "../http/types";
import { normalizeBaseUrl } from "../settings";
import { Container } from "./container";
import { Context } from "./context";
import type { ContextOptions } from "./context";
import { clientForItem, withArticle } from "./kinds";

export interface FromUriOptions extends ContextOptions, RequestOptions {}

/** Split a URI into the server's base URL, the node path, and an API key given as `?api_key=`. */
export function parseTiledUri(uri: string): { baseUrl: string; path: string[]; apiKey?: string } {
  let url: URL;
  const shown = JSON.stringify(redactText(String(uri)));
  try {
    url = new URL(uri);
  } catch {
    throw badInput(`${shown} is not a URL; expected e.g. "http://127.0.0.1:8000".`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw badInput(`${shown}: only http and https are supported.`);
  const segments = url.pathname.split("/").filter(Boolean).map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      throw badInput(`${shown} has a broken percent-escape in ${JSON.stringify(s)}: write % as %25.`);
    }
  });
  checkPathSegments(segments, "path segment");
  const api = segments.indexOf("api");
  let prefix: string[] = [];
  let path = segments;
  if (api >= 0 && segments[api + 1] === "v1") {
    prefix = segments.slice(0, api);
    path = segments.slice(api + 2);
    // /api/v1/metadata/<path>, /api/v1/search/<path>, …: drop the route.
    if (["metadata", "search", "node"].includes(path[0] ?? "")) path = path.slice(path[0] === "node" ? 2 : 1);
  }
  const base = normalizeBaseUrl(`${url.origin}${prefix.length ? `/${prefix.join("/")}` : ""}`);
  // As tiled's Python from_uri: a key in the URI is taken (and then sent as a header, not in URLs).
  const apiKey = url.searchParams.get("api_key") || undefined;
  return apiKey === undefined ? { baseUrl: base, path } : { baseUrl: base, path, apiKey };
}

/** Connect to a tiled server and return the client for the node `uri` names (the root by default). */
export async function fromUri(uri: string, options: FromUriOptions = {}): Promise<Container> {
  const { baseUrl, path, apiKey } = parseTiledUri(uri);
  if (apiKey !== undefined && options.apiKey !== undefined && apiKey !== options.apiKey) {
    throw badInput("The URI carries an api_key and the apiKey option another one: give one of them.");
  }
  const context = new Context({ ...options, baseUrl, apiKey: options.apiKey ?? apiKey });
  return fromContext(context, path, options);
}

/** The container at `path` on an existing context (shares its transport and caches). */
export async function fromContext(context: Context, path: readonly string[] = [], options: RequestOptions = {}): Promise<Container> {
  const response = await context.transport.getJson(context.apiUrl("metadata", path), MetadataResponse, options);
  const client = clientForItem(context, response.data, path);
  if (!(client instanceof Container)) {
    throw badInput(`/${path.join("/")} is ${withArticle(client.structureFamily ?? "node")}, not a container: open its parent and use get().`);
  }
  return client;
}
