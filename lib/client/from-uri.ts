/**
 * client/from-uri.ts — connect: `fromUri(uri)` returns the client for the node the URI names.
 *
 * Like tiled's Python `from_uri`. The URI is a server's root (`http://127.0.0.1:8000`), a root
 * mounted under a path as facilities' reverse proxies do (`https://host/tiled`), a node under
 * either (`http://127.0.0.1:8000/bdp2022`), or a tiled API URL of a node
 * (`http://127.0.0.1:8000/api/v1/metadata/bdp2022`). Without `/api/v1` in it, the API is looked
 * for under the whole path first (Python's reading: the path is where tiled is mounted), then
 * under each shorter one, the rest being node keys; what was tried is named when nothing
 * answers. The first requests fetch the server's "about" and the node, so a wrong URI fails here,
 * with a TiledError that says what to do.
 *
 * A server with login providers is tried with the tokens a previous login cached (this library's,
 * or `tiled login` in a terminal); one that requires a login and has none is logged in to when
 * `login` is given, and is an "unauthorized" error naming its providers otherwise.
 *
 * @example
 * const client = await fromUri("http://127.0.0.1:8000");
 * const catalog = await client.get("bdp2022", { kind: "catalog" });
 * const bdp = await fromUri("http://127.0.0.1:8000/bdp2022");          // the same node directly
 * const proxied = await fromUri("https://tiled.example.org/tiled");     // mounted under /tiled
 */
import { TiledError, badInput, isTiledError } from "../errors.js";
import type { RequestOptions } from "../http/types.js";
import type { LoginOptions } from "../auth/login.js";
import { About } from "../schemas/about.js";
import type { Authentication } from "../schemas/auth.js";
import { MetadataResponse } from "../schemas/node.js";
import { Context } from "../context.js";
import type { ContextOptions } from "../context.js";
import { mountCandidates, splitUri } from "../urls.js";
import { Container } from "./container.js";
import { clientForItem, withArticle } from "./kinds.js";

export interface FromUriOptions extends ContextOptions, RequestOptions {
  /**
   * Log in when the server requires it and no cached tokens serve (true: with the defaults). A
   * password comes from `login.password`, TILED_PASSWORD, or a prompt at a terminal; a device code
   * shows a link and a code. Without it, a server that requires a login is an "unauthorized" error
   * that names its providers and says how to log in.
   */
  login?: LoginOptions | true;
  /** Use (and keep) tokens in the cache tiled's Python client shares (default true). */
  rememberMe?: boolean;
}

/** The error for a server that requires a login this call did not do. */
function loginRequired(context: Context, authentication: Authentication, problems: readonly string[]): TiledError {
  const providers = authentication.providers.map((p) => `${p.provider} (${p.mode === "external" ? "device code" : "password"})`).join(", ") || "none listed";
  const device = authentication.providers.some((p) => p.mode === "external");
  const password = authentication.providers.some((p) => p.mode !== "external");
  const how = [password ? "a password from TILED_PASSWORD, or asked for at a terminal" : "", device ? "a link and a code shown here" : ""].filter(Boolean).join("; ");
  const lines = [
    `${context.baseUrl} requires you to log in (providers: ${providers}). Either:`,
    `  - fromUri(uri, { login: true }): ${how}`,
    ...(password ? [`  - fromUri(uri, { login: { username: "…", password } })`] : []),
    `  - \`tiled login ${context.baseUrl}\` in a terminal: this client then finds the tokens it saves`,
    `  - an API key: fromUri(uri, { apiKey }), or TILED_API_KEY`,
  ];
  if (problems.length) lines.push(`  Cached tokens were found but not used:\n    ${problems.join("\n    ")}`);
  return new TiledError("unauthorized", lines.join("\n"), { url: context.apiBase });
}

/** Credentials before the first node is read: cached tokens, else a login when asked, else an error if the server requires one. */
async function authenticate(context: Context, options: FromUriOptions): Promise<void> {
  const { authentication } = await context.about(options);
  if (context.authenticated || authentication.providers.length === 0) return;
  if ((options.rememberMe ?? true) && (await context.useCachedTokens(options))) return;
  if (options.login) {
    await context.login({ ...(options.login === true ? {} : options.login), rememberMe: options.rememberMe, signal: options.signal });
    return;
  }
  if (authentication.required) throw loginRequired(context, authentication, context.tokenCacheProblems());
}

/** Whether a failed "about" probe means "no tiled API here" (try a shorter path) rather than "server down". */
function isNotHere(err: unknown): boolean {
  return isTiledError(err, "not-found", "invalid-response", "redirect") || (isTiledError(err, "http", "forbidden", "unauthorized") && err.status !== undefined && err.status < 500);
}

/** Connect to a tiled server and return the client for the node `uri` names (the root by default). */
export async function fromUri(uri: string, options: FromUriOptions = {}): Promise<Container> {
  const split = splitUri(uri);
  if (split.apiKey !== undefined && options.apiKey !== undefined && split.apiKey !== options.apiKey) {
    throw badInput("The URI carries an api_key and the apiKey option another one: give one of them.");
  }
  const apiKey = options.apiKey ?? split.apiKey;
  if (split.apiGiven) {
    const context = new Context({ ...options, baseUrl: split.root, apiKey });
    await authenticate(context, options);
    return fromContext(context, split.path, options);
  }
  const tried: string[] = [];
  for (const candidate of mountCandidates(split.root)) {
    const context = new Context({ ...options, baseUrl: candidate.baseUrl, apiKey });
    let about: About;
    try {
      about = await context.transport.getJson(context.apiUrl(""), About, options);
    } catch (err) {
      if (!isNotHere(err)) throw err;
      const status = isTiledError(err) && err.status !== undefined ? `${err.status}` : isTiledError(err) ? err.code : "error";
      tried.push(`${context.apiUrl("")} (${isTiledError(err, "invalid-response") ? `${status}, but not tiled's API` : status})`);
      continue;
    }
    context.rememberAbout(about);
    await authenticate(context, options);
    return fromContext(context, candidate.path, options);
  }
  throw new TiledError(
    "not-found",
    `No tiled server answers at ${split.root}. Tried the API under each part of the path:\n    ${tried.join("\n    ")}\n` +
      "  Check the URL: give the server's root (as in a browser, e.g. https://host/tiled) or a node's /api/v1/metadata/… URL.",
    { url: split.root },
  );
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
