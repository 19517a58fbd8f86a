/**
 * urls.ts — every URL the library sends, built in one place.
 *
 * A node is addressed by its path of keys under a server's API (`{apiBase}/{route}/{path}`);
 * every key is checked (`.` and `..` would be resolved by URL normalisation and address another
 * node) and percent-encoded. Query parameters are added in order, repeated names allowed, by
 * `URLSearchParams`. The demo's hand-built URIs (`tiledUri`) and live subscriptions' websocket
 * URLs are built here too.
 *
 * @example
 * apiUrl("http://127.0.0.1:8000/api/v1", "search", ["bdp2022"]);   // ".../api/v1/search/bdp2022"
 * withParams(url, [["page[limit]", "300"], ["sort", "start.time"]]);
 * splitUri("http://host/tiled/api/v1/metadata/bdp2022");           // { root: "http://host/tiled", path: ["bdp2022"], apiGiven: true }
 */
import { TiledError, badInput, redactText } from "./errors.js";

/** Where tiled's API sits under a server's root. */
export const API_PREFIX = "/api/v1";

/** Strip trailing slashes so `${base}/…` is always well formed. */
export function normalizeBaseUrl(url: string): string {
  return url.replace(/\/+$/, "");
}

/**
 * Throw bad-input unless every key is a plain path segment. `.` and `..` would be resolved by URL
 * normalisation (`bdp2022/..` is the root), so a lookup would silently open another node; an empty
 * key or one with NUL is never a node's key either.
 */
export function checkPathSegments(segments: readonly string[], what = "key"): void {
  for (const segment of segments) {
    if (typeof segment !== "string") throw badInput(`A ${what} must be text, not ${JSON.stringify(segment)}.`);
    if (segment === "." || segment === "..") {
      throw badInput(`The ${what} ${JSON.stringify(segment)} is not allowed: it would address another node than the one named. To go up, use the parent's client.`);
    }
    if (segment === "" || segment.includes("\u0000")) throw badInput(`The ${what} ${JSON.stringify(segment)} is empty or contains NUL.`);
  }
}

/**
 * `${apiBase}/${route}/${path}`, each path segment checked and URL-encoded. The root keeps its
 * trailing slash (".../metadata/"): without it tiled answers 307, a wasted round trip.
 */
export function apiUrl(apiBase: string, route: string, path: readonly string[] = []): string {
  checkPathSegments(path);
  const tail = path.map((segment) => encodeURIComponent(segment)).join("/");
  return `${apiBase}/${route}${route ? "/" : ""}${tail}`;
}

/** `${apiBase}/${route}` for the API's own routes (about: "", "auth/session/revoke"); no node path. */
export function routeUrl(apiBase: string, route: string): string {
  return `${apiBase}/${route}`;
}

/** A link a server gave (absolute, or relative to `base`) as an absolute URL; invalid-response if it is none. */
export function resolveLink(link: string, base: string): string {
  try {
    return new URL(link, base).toString();
  } catch (cause) {
    throw new TiledError("invalid-response", `The server gave ${JSON.stringify(redactText(link))} as a link, which is not a URL.`, { url: base, cause });
  }
}

/** A URL with parameters appended (repeated names allowed, order kept). */
export function withParams(base: string, params: Iterable<readonly [string, string]>): string {
  const url = new URL(base);
  for (const [name, value] of params) url.searchParams.append(name, value);
  return url.toString();
}

/** A URI given by a user, split: its server part, the node path it names, and an `?api_key=`. */
export interface SplitUri {
  /** Origin plus the path before `/api/v1` (or the whole path, when no `/api/v1` was given). */
  root: string;
  /** The node path after `/api/v1/<route>/`; [] when the URI gave no API path. */
  path: string[];
  /** True when the URI contained `/api/v1`: the API's place is known, nothing to probe. */
  apiGiven: boolean;
  apiKey?: string;
}

/**
 * Split a URI as tiled's Python `from_uri` reads it: `http://host/prefix/api/v1/metadata/a/b`
 * names node a/b of the API at http://host/prefix/api/v1; a URI without `/api/v1` is a server
 * root, possibly mounted under a path (`http://host/tiled`), possibly followed by node keys
 * (client/from-uri.ts finds which). A key in `?api_key=` is taken. User and password in the URI
 * are refused: tiled does not read them, and they would be sent to any proxy in clear.
 */
export function splitUri(uri: string): SplitUri {
  let url: URL;
  const shown = JSON.stringify(redactText(String(uri)));
  try {
    url = new URL(uri);
  } catch {
    throw badInput(`${shown} is not a URL; expected e.g. "http://127.0.0.1:8000".`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw badInput(`${shown}: only http and https are supported.`);
  if (url.username || url.password) {
    throw badInput(
      `The URL carries a user name${url.password ? " and password" : ""}, which tiled does not read (it would only travel in clear). ` +
        "Remove it from the URL; then log in (login(), or `tiled login` in a terminal) or give an API key (apiKey, or TILED_API_KEY).",
    );
  }
  const segments = url.pathname.split("/").filter(Boolean).map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      throw badInput(`${shown} has a broken percent-escape in ${JSON.stringify(s)}: write % as %25.`);
    }
  });
  checkPathSegments(segments, "path segment");
  const api = segments.findIndex((s, i) => s === "api" && segments[i + 1] === "v1");
  let root = segments;
  let path: string[] = [];
  if (api >= 0) {
    root = segments.slice(0, api);
    path = segments.slice(api + 2);
    // /api/v1/metadata/<path>, /api/v1/search/<path>, /api/v1/node/metadata/<path> (2022): drop the route.
    if (["metadata", "search", "node"].includes(path[0] ?? "")) path = path.slice(path[0] === "node" ? 2 : 1);
  }
  const rootUrl = normalizeBaseUrl(`${url.origin}${root.length ? `/${root.map(encodeURIComponent).join("/")}` : ""}`);
  const apiKey = url.searchParams.get("api_key") || undefined;
  const out: SplitUri = { root: rootUrl, path, apiGiven: api >= 0 };
  if (apiKey !== undefined) out.apiKey = apiKey;
  return out;
}

/**
 * Where a server given without `/api/v1` may have its API, most likely first: its whole path as
 * the mount point (how Python reads it), then each shorter one, the rest being node keys.
 */
export function mountCandidates(root: string): { baseUrl: string; path: string[] }[] {
  const url = new URL(root);
  const segments = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
  const out: { baseUrl: string; path: string[] }[] = [];
  for (let i = segments.length; i >= 0; i--) {
    const prefix = segments.slice(0, i).map(encodeURIComponent).join("/");
    out.push({ baseUrl: prefix ? `${url.origin}/${prefix}` : url.origin, path: segments.slice(i) });
  }
  return out;
}

/** The websocket URL of a node's live stream (`/stream/single/{path}`), from the API's http(s) base. */
export function streamUrl(apiBase: string, path: readonly string[], params: Record<string, string>): string {
  checkPathSegments(path);
  const base = normalizeBaseUrl(apiBase).replace(/^http(s?):/i, "ws$1:");
  return `${base}/stream/single/${path.map(encodeURIComponent).join("/")}?${new URLSearchParams(params)}`;
}

/** A node path written as text ("bdp2022/<uid>/primary"), split and checked. */
export function splitPath(path: string | readonly string[]): string[] {
  const segments = (typeof path === "string" ? path.split("/") : [...path]).filter((s) => s !== "");
  checkPathSegments(segments);
  return segments;
}

/** The parts of the 2022 demo's hand-built URI. */
export interface TiledUriParts {
  /** API route, "/api/v1/search" by default ("/api/v1/metadata", "/api/v1/distinct", …). */
  api?: string;
  /** Appended after the catalog: "/<uid>/primary", "?page[limit]=10&…". */
  suffix?: string;
  /** Default 8000. */
  port?: number;
  /** Default "http". */
  scheme?: "http" | "https";
}

/** `http://${server}:${port}${api}/${catalog}${suffix}` — the 2022 demo's URI, assembled as the demo did. */
export function tiledUri(server: string, catalog: string, parts: TiledUriParts = {}): string {
  const { api = "/api/v1/search", suffix = "", port = 8000, scheme = "http" } = parts;
  if (!server || /[/:?#\s@]/.test(server)) throw badInput(`Server ${JSON.stringify(server)} should be a host name such as "localhost".`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw badInput(`Port ${JSON.stringify(port)} is not a TCP port number.`);
  // The URL parser resolves "." and ".." (also written %2e), which would address another node.
  const path = `${catalog}${suffix}`.split(/[?#]/)[0];
  checkPathSegments(path.split("/").filter(Boolean).map((s) => s.replace(/%2e/gi, ".")), "path segment");
  return `${scheme}://${server}:${port}${api}/${catalog}${suffix}`;
}

/** The `api_key` query value of a URL, when it has one (a secret to keep out of errors and recordings). */
export function apiKeyInUrl(url: string): string | undefined {
  try {
    return new URL(url).searchParams.get("api_key") || undefined;
  } catch {
    return undefined;
  }
}

/** The origin of a URL, or undefined for text that is not one. */
export function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

/** Throw invalid-response unless `link` (from a server's answer) stays on `apiBase`'s origin. */
export function checkSameOrigin(link: string, apiBase: string, what: string): void {
  if (originOf(link) !== originOf(apiBase)) {
    throw new TiledError("invalid-response", `The server's ${what} points to another origin (${redactText(link)}); not followed.`, { url: apiBase });
  }
}
