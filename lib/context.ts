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
import * as account from "./auth/account.js";
import type { CreateApiKeyOptions } from "./auth/account.js";
import type { Credentials } from "./auth/credentials.js";
import { chooseProvider, deviceCodeLogin, oidcScopes, passwordLogin } from "./auth/login.js";
import type { LoginOptions } from "./auth/login.js";
import { endSession } from "./auth/session.js";
import { TokenCache, tokenDirectory, userCacheDir } from "./auth/token-cache.js";
import { TokenCredentials } from "./auth/tokens.js";
import type { AnonymousPost } from "./auth/tokens.js";
import { resolveConfig } from "./config.js";
import type { ClientOptions, Config } from "./config.js";
import { Transport } from "./http/transport.js";
import type { RequestOptions } from "./http/types.js";
import { TiledError, badInput } from "./errors.js";
import { assertQueriesSupported } from "./queries.js";
import type { Query } from "./queries.js";
import { About } from "./schemas/about.js";
import type { ApiKeyInfo, AuthProvider, Authentication, NewApiKey, Principal } from "./schemas/auth.js";
import { API_PREFIX, apiUrl, originOf, routeUrl } from "./urls.js";
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
  /**
   * Per catalog path and metadata key: the kind of value the first run that has the key holds
   * ("number", "string", "list", …, or "absent"). tiled's SQL catalog sorts numbers as text and
   * compares lists as their JSON text, so the client asks once before it sorts or compares (client/catalog.ts).
   */
  readonly valueKinds = new Map<string, string>();
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
    return this.websocketAuth(wsUrl).headers;
  }

  /**
   * How a websocket to `wsUrl` authenticates: an API key in the handshake's header; login tokens
   * in a first message (`{"type": "auth", "access_token": …}`), because tiled refuses a Bearer
   * header on websockets (400) and a token in the URL would end up in its logs.
   */
  websocketAuth(wsUrl: string): { headers: Record<string, string>; firstMessage?: string } {
    const httpUrl = wsUrl.replace(/^ws(s?):/i, "http$1:");
    const auth = this.credentials.headersFor(httpUrl);
    const bearer = auth.Authorization?.startsWith("Bearer ") ? auth.Authorization.slice("Bearer ".length) : undefined;
    if (bearer === undefined) return { headers: { ...this.config.headers, ...auth } };
    return { headers: { ...this.config.headers }, firstMessage: JSON.stringify({ type: "auth", access_token: bearer }) };
  }

  /** `${apiBase}/${route}/${path}`, each path segment checked and URL-encoded. */
  apiUrl(route: string, path: readonly string[] = []): string {
    return apiUrl(this.apiBase, route, path);
  }

  /** `GET /api/v1/`, fetched once per context. A failure is not cached. */
  about(options: RequestOptions = {}): Promise<About> {
    if (!this.#about) {
      this.#about = this.transport.getJson(routeUrl(this.apiBase, ""), About, options);
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

  // --- logging in (tiled's Python Context: login, logout, whoami, API keys) ---------------------------

  /** True when requests carry credentials (an API key or login tokens). */
  get authenticated(): boolean {
    return this.credentials.kind !== "anonymous";
  }

  /** The folder this server's login tokens are kept in, shared with tiled's Python client. */
  get tokenDirectory(): string {
    return tokenDirectory(routeUrl(this.apiBase, ""), this.config.cacheDir ?? userCacheDir());
  }

  /** A POST that carries no credentials (token endpoints: the body is the proof). */
  readonly #post: AnonymousPost = (url, body, contentType, secrets) =>
    this.transport.send({ method: "POST", url, accept: "application/json", body, contentType, anonymous: true, secrets });

  async #authentication(): Promise<Authentication> {
    return (await this.about()).authentication;
  }

  /** Credentials for tokens of this server: refreshed where the server says, kept in the shared cache or in memory. */
  #tokenCredentials(authentication: Authentication, provider: AuthProvider | undefined, rememberMe: boolean): TokenCredentials {
    const links = account.accountLinks(authentication.links, this.baseUrl);
    const clientId = provider?.links.client_id;
    return new TokenCredentials({
      serverUrl: this.baseUrl,
      cache: rememberMe ? new TokenCache(this.tokenDirectory) : undefined,
      refresh: clientId && provider ? { kind: "oidc", url: links.refresh_session, clientId, scopes: oidcScopes(provider) } : { kind: "tiled", url: links.refresh_session },
      post: this.#post,
      loginHint: `context.login(), or \`tiled login ${this.baseUrl}\` in a terminal`,
    });
  }

  /**
   * Log in with one of the server's providers: a password (from `password`, TILED_PASSWORD, or a
   * prompt at a terminal) or a device code (a link and a code are shown). The tokens are kept in
   * the cache tiled's Python client shares, unless `rememberMe: false`. Returns who you are now.
   */
  async login(options: LoginOptions = {}): Promise<Principal> {
    if (this.config.apiKey !== undefined) {
      throw badInput("This context sends an API key, so a login would not be used: make the client without apiKey (and with TILED_API_KEY unset) to log in.");
    }
    const authentication = await this.#authentication();
    const provider = chooseProvider(authentication.providers, options.provider, this.baseUrl);
    const result = provider.mode === "external" ? await deviceCodeLogin(provider, this.baseUrl, this.#post, options) : await passwordLogin(provider, this.baseUrl, this.#post, options);
    const credentials = this.#tokenCredentials(authentication, provider, options.rememberMe ?? true);
    const { access_token, refresh_token, id_token, expires_in } = result.tokens;
    credentials.set({ access_token, refresh_token, id_token }, result.receivedAtS, true, expires_in);
    this.setCredentials(credentials);
    const me = await this.whoami();
    if (me === null) throw new TiledError("login-failed", `${this.baseUrl} gave tokens but does not recognize them (whoami answers null).`, { url: this.apiBase, secrets: credentials.secrets() });
    return me;
  }

  /** Python's name for login. */
  authenticate(options: LoginOptions = {}): Promise<Principal> {
    return this.login(options);
  }

  /**
   * Use the tokens a previous login left in the cache (by this library, or `tiled login` in a
   * terminal), if the server still accepts them (checked with whoami, refreshing if needed).
   */
  async useCachedTokens(options: RequestOptions = {}): Promise<boolean> {
    if (this.config.apiKey !== undefined) return false;
    const authentication = await this.#authentication();
    if (authentication.providers.length === 0 || !authentication.links) return false;
    const provider = authentication.providers.length === 1 ? authentication.providers[0] : undefined;
    const credentials = this.#tokenCredentials(authentication, provider, true);
    if (!credentials.loadFromCache()) return false;
    const before = this.credentials;
    this.setCredentials(credentials);
    try {
      if ((await this.whoami(options)) !== null) return true;
      this.setCredentials(before);
      return false;
    } catch (err) {
      if (err instanceof TiledError && err.code === "unauthorized") {
        this.setCredentials(before);
        return false;
      }
      throw err;
    }
  }

  /** Why cached tokens could not be used (a file readable by others, not a token), for messages. */
  tokenCacheProblems(): string[] {
    return new TokenCache(this.tokenDirectory).read().problems;
  }

  /**
   * Log out: revoke the session on the server (tiled's, or the identity provider's), clear the
   * cache, and go back to anonymous requests. Nothing to do when not logged in.
   */
  async logout(options: RequestOptions = {}): Promise<void> {
    const credentials = this.credentials;
    if (!(credentials instanceof TokenCredentials)) return;
    const authentication = await this.#authentication();
    const links = account.accountLinks(authentication.links, this.baseUrl);
    const target = credentials.refreshTarget;
    const provider = target.kind === "oidc" ? authentication.providers.find((p) => p.links.client_id === target.clientId) : undefined;
    try {
      await endSession({ transport: this.transport, apiBase: this.apiBase, links, provider, tokens: credentials.tokens, secrets: credentials.secrets() }, options);
    } finally {
      // Whether or not the server could be told, the tokens are gone from here.
      credentials.clear();
      this.setCredentials(ANONYMOUS);
    }
  }

  /** Who the credentials belong to (Python's `whoami`); null when the requests carry none. */
  async whoami(options: RequestOptions = {}): Promise<Principal | null> {
    return account.whoami(this.transport, account.accountLinks((await this.#authentication()).links, this.baseUrl), options);
  }

  /** A new API key for you (its secret is in the answer, once). */
  async createApiKey(options: CreateApiKeyOptions = {}): Promise<NewApiKey> {
    return account.createApiKey(this.transport, account.accountLinks((await this.#authentication()).links, this.baseUrl), options);
  }

  /** The API key this context uses, as the server knows it. */
  async whichApiKey(options: RequestOptions = {}): Promise<ApiKeyInfo> {
    if (this.credentials.kind !== "apikey") throw badInput("This context uses no API key (give apiKey, or set TILED_API_KEY).");
    return account.whichApiKey(this.transport, account.accountLinks((await this.#authentication()).links, this.baseUrl), options);
  }

  /** Revoke one of your API keys, by its first eight characters. */
  async revokeApiKey(firstEight: string, options: RequestOptions = {}): Promise<void> {
    return account.revokeApiKey(this.transport, account.accountLinks((await this.#authentication()).links, this.baseUrl), firstEight, options);
  }

  /** Throw "unsupported-query" unless the server registered every query's name. */
  async checkQueries(queries: readonly Query[], url?: string): Promise<void> {
    if (queries.length === 0) return;
    const about = await this.about();
    assertQueriesSupported([...new Set(queries.map((q) => q.name))], about.queries, url);
  }
}
