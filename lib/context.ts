/**
 * context.ts — one tiled server, as every client of it shares it: its configuration, its
 * credentials, the transport, and cached answers about the server.
 *
 * The one owner of configuration and credentials (like tiled's Python `Context`): the base URL,
 * extra headers, timeouts and byte caps (config.ts), the API key or login tokens (auth/), and the
 * secrets every error and recording must leave out. HTTP requests (the node clients and
 * `requestsTiled`) and live subscriptions all take it. Also: the server's `/api/v1/` "about"
 * (fetched once), where regex runs, and the table of which client class serves which node.
 *
 * Notebooks rarely build one directly: `fromUri` does. Build one to share it between several roots,
 * or to ask the server what it supports.
 *
 * @example
 * const context = new Context({ baseUrl: "http://127.0.0.1:8000" });
 * const about = await context.about();           // fetched once, then cached
 * context.apiUrl("search", ["bdp2022"]);         // "http://127.0.0.1:8000/api/v1/search/bdp2022"
 * await context.checkQueries([Eq("start.scan_id", 1)]);   // throws "unsupported-query" if unknown
 */
import type { Credentials } from "./auth/credentials.js";
import { resolveConfig } from "./config.js";
import type { ClientOptions, Config } from "./config.js";
import { Transport } from "./http/transport.js";
import type { RequestOptions } from "./http/types.js";
import { assertQueriesSupported } from "./queries.js";
import type { Query } from "./queries.js";
import { About } from "./schemas/about.js";
import { API_PREFIX, apiUrl, originOf } from "./urls.js";
import type { StructureClients } from "./client/kinds.js";
import { DEFAULT_STRUCTURE_CLIENTS } from "./client/structure-clients.js";

/** No credentials: anonymous access. */
export const ANONYMOUS: Credentials = {
  kind: "anonymous",
  headersFor: () => ({}),
  secrets: () => [],
};

/** An API key (`Authorization: Apikey <key>`), sent only to `serverUrl`'s origin. */
export function apiKeyCredentials(serverUrl: string, key: string): Credentials {
  const origin = originOf(serverUrl);
  return {
    kind: "apikey",
    headersFor: (url): Record<string, string> => (originOf(url) === origin ? { Authorization: `Apikey ${key}` } : {}),
    secrets: () => [key],
  };
}

export interface ContextOptions extends ClientOptions {
  /** Which client class serves which node (client/kinds.ts). Default: DEFAULT_STRUCTURE_CLIENTS. */
  structureClients?: StructureClients;
}

export class Context {
  readonly config: Config;
  /** The server's root, e.g. http://127.0.0.1:8000, or http://host/tiled for a server mounted under a path. */
  readonly baseUrl: string;
  /** Where its API is: `${baseUrl}/api/v1`. */
  readonly apiBase: string;
  readonly transport: Transport;
  readonly structureClients: StructureClients;
  /** Per container path: whether the server runs Regex there (SQL catalogs answer 400). */
  readonly regexOnServer = new Map<string, boolean>();
  #about: Promise<About> | undefined;

  constructor(options: ContextOptions = {}) {
    this.config = resolveConfig(options);
    this.baseUrl = this.config.baseUrl;
    this.apiBase = `${this.baseUrl}${API_PREFIX}`;
    const credentials = this.config.apiKey === undefined ? ANONYMOUS : apiKeyCredentials(this.baseUrl, this.config.apiKey);
    this.transport = new Transport(this.config, credentials);
    this.structureClients = options.structureClients ?? DEFAULT_STRUCTURE_CLIENTS;
  }

  /** What authenticates this context's requests now. */
  get credentials(): Credentials {
    return this.transport.credentials;
  }

  /** Replace the credentials (after a login or a logout): every client of this context uses the new ones. */
  setCredentials(credentials: Credentials): void {
    this.transport.credentials = credentials;
  }

  /** The headers that authenticate a websocket to `wsUrl` (ws: and wss: map to the server's http: and https: origin). */
  websocketHeaders(wsUrl: string): Record<string, string> {
    const httpUrl = wsUrl.replace(/^ws(s?):/i, "http$1:");
    return { ...this.config.headers, ...this.credentials.headersFor(httpUrl) };
  }

  /** `${apiBase}/${route}/${path}`, each path segment checked and URL-encoded. */
  apiUrl(route: string, path: readonly string[] = []): string {
    return apiUrl(this.apiBase, route, path);
  }

  /** `GET /api/v1/`, fetched once per context. A failure is not cached. */
  about(options: RequestOptions = {}): Promise<About> {
    if (!this.#about) {
      this.#about = this.transport.getJson(`${this.apiBase}/`, About, options);
      this.#about.catch(() => {
        this.#about = undefined;
      });
    }
    return this.#about;
  }

  /** Use an "about" already fetched (fromUri's probe) instead of asking again. */
  rememberAbout(about: About): void {
    this.#about = Promise.resolve(about);
  }

  /** Throw "unsupported-query" unless the server registered every query's name. */
  async checkQueries(queries: readonly Query[], url?: string): Promise<void> {
    if (queries.length === 0) return;
    const about = await this.about();
    assertQueriesSupported([...new Set(queries.map((q) => q.name))], about.queries, url);
  }
}
