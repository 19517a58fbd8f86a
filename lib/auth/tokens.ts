/**
 * auth/tokens.ts — the credentials of a login: an access token sent as `Authorization: Bearer`,
 * refreshed with the refresh token when it expires, shared with other processes through the cache.
 *
 * As tiled's Python client (`client/auth.py` TiledAuth) does on a 401: first reload the tokens
 * from disk (another process, or `tiled login` in a terminal, may have refreshed them), else
 * refresh once and send the request again. Beyond Python: concurrent requests that hit a 401 share
 * one refresh; processes take turns through a lock file; a token about to expire is refreshed
 * before it is sent (its expiry read from the JWT, corrected for a server clock that is off); a
 * refused refresh clears the cache only if it still holds the tokens that were refused, and says
 * to log in again.
 *
 * Two ways to refresh: tiled's own (`POST /auth/session/refresh`, JSON `{refresh_token}`) and,
 * for servers that hand login to an identity provider (ProxiedOIDCAuthenticator), the provider's
 * token endpoint (form `grant_type=refresh_token`, client_id, scope).
 *
 * @example
 * const credentials = new TokenCredentials({ serverUrl, cache, refresh: { kind: "tiled", url }, post });
 * credentials.set(tokensFromLogin);
 * credentials.headersFor(`${serverUrl}/api/v1/`);   // { Authorization: "Bearer …" }
 */
import type { Credentials } from "./credentials.js";
import { TiledError } from "../errors.js";
import type { TransportResponse } from "../http/types.js";
import { TokenResponse } from "../schemas/auth.js";
import { originOf } from "../urls.js";
import type { TokenCache, Tokens } from "./token-cache.js";

/** Where a session is refreshed. */
export type RefreshTarget = { kind: "tiled"; url: string } | { kind: "oidc"; url: string; clientId: string; scopes?: string };

/** An unauthenticated POST through the context's transport (a token endpoint must not get the old token). */
export type AnonymousPost = (url: string, body: Uint8Array, contentType: string, secrets?: readonly string[]) => Promise<TransportResponse>;

/** Refresh this long before the access token expires (by the client's clock, corrected for the server's). */
export const REFRESH_MARGIN_S = 30;

/** The claims of a JWT this client reads (none of it is trusted for access: the server checks the token). */
function jwtTimes(token: string): { exp?: number; iat?: number } {
  const payload = token.split(".")[1];
  if (payload === undefined) return {};
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
    if (claims === null || typeof claims !== "object") return {};
    const { exp, iat } = claims as { exp?: unknown; iat?: unknown };
    return { exp: typeof exp === "number" ? exp : undefined, iat: typeof iat === "number" ? iat : undefined };
  } catch {
    return {};
  }
}

export interface TokenCredentialsOptions {
  serverUrl: string;
  /** Where tokens are shared with other processes and tiled's Python client; undefined: memory only (rememberMe false). */
  cache: TokenCache | undefined;
  refresh: RefreshTarget;
  post: AnonymousPost;
  /** What the error says to run to log in again (e.g. "tiled login http://…"). */
  loginHint: string;
}

export class TokenCredentials implements Credentials {
  readonly kind = "tokens" as const;
  readonly #options: TokenCredentialsOptions;
  readonly #origin: string | undefined;
  #tokens: Tokens = {};
  /** Seconds the server's clock is ahead of this one, from the access token's iat when it arrived. */
  #skewS = 0;
  /** Every token this process has held: kept out of errors and recordings even after a refresh. */
  readonly #seen = new Set<string>();
  #refreshing: Promise<void> | undefined;
  /** The access token an early refresh was already tried for (so a clock far off cannot loop). */
  #earlyTried: string | undefined;

  constructor(options: TokenCredentialsOptions) {
    this.#options = options;
    this.#origin = originOf(options.serverUrl);
  }

  /** The tokens held now (to write a cache, or to log out). */
  get tokens(): Readonly<Tokens> {
    return { ...this.#tokens };
  }

  get hasAccessToken(): boolean {
    return this.#tokens.access_token !== undefined;
  }

  /** Hold new tokens (from a login or a refresh), and write them to the cache. `receivedAtS` corrects for the server's clock. */
  set(tokens: Tokens, receivedAtS = Date.now() / 1000, persist = true): void {
    this.#tokens = { ...tokens };
    for (const value of Object.values(tokens)) if (value) this.#seen.add(value);
    const { iat } = jwtTimes(tokens.access_token ?? "");
    this.#skewS = iat === undefined ? 0 : iat - receivedAtS;
    if (persist) this.#options.cache?.write(tokens);
  }

  /** Take the tokens in the cache, if any; false when there are none. */
  loadFromCache(): boolean {
    const cache = this.#options.cache;
    if (!cache) return false;
    const { tokens } = cache.read();
    if (!tokens.access_token && !tokens.refresh_token) return false;
    // Written when they arrived: the file's age stands in for the moment of receipt.
    this.set(tokens, Date.now() / 1000, false);
    return true;
  }

  headersFor(url: string): Record<string, string> {
    const token = this.#tokens.access_token;
    return token !== undefined && originOf(url) === this.#origin ? { Authorization: `Bearer ${token}` } : {};
  }

  secrets(): string[] {
    return [...this.#seen];
  }

  /** Before a request: refresh a token that is about to expire (once per token; failures are left to the 401 path). */
  async prepare(): Promise<void> {
    const token = this.#tokens.access_token;
    if (token === undefined || this.#tokens.refresh_token === undefined || token === this.#earlyTried) return;
    const { exp } = jwtTimes(token);
    if (exp === undefined || exp - this.#skewS - Date.now() / 1000 > REFRESH_MARGIN_S) return;
    this.#earlyTried = token;
    try {
      await this.#refreshOnce(token);
    } catch {
      /* the request goes out with the old token; a 401 will say what to do */
    }
  }

  /** After a 401: fresher tokens from disk, else one refresh (shared by concurrent callers). */
  async recover(sent: string | undefined): Promise<boolean> {
    const current = this.#tokens.access_token;
    // Refreshed since this request went out (by a concurrent request): just send it again.
    if (current !== undefined && sent !== `Bearer ${current}`) return true;
    const disk = this.#options.cache?.read().tokens;
    if (disk?.access_token && disk.access_token !== current) {
      this.set(disk, Date.now() / 1000, false);
      return true;
    }
    await this.#refreshOnce(current);
    return true;
  }

  /** Forget the tokens (logout): in memory, and on disk unless another login replaced them. */
  clear(): void {
    const held = this.#tokens;
    this.#tokens = {};
    this.#options.cache?.clearIfUnchanged(held);
  }

  #refreshOnce(stale: string | undefined): Promise<void> {
    if (!this.#refreshing) {
      this.#refreshing = this.#refresh(stale).finally(() => {
        this.#refreshing = undefined;
      });
    }
    return this.#refreshing;
  }

  async #refresh(stale: string | undefined): Promise<void> {
    const cache = this.#options.cache;
    const run = async () => {
      // Another process may have refreshed while this one waited for the lock.
      const disk = cache?.read().tokens;
      if (disk?.access_token && disk.access_token !== stale && disk.access_token !== this.#tokens.access_token) {
        this.set(disk, Date.now() / 1000, false);
        return;
      }
      const refreshToken = disk?.refresh_token ?? this.#tokens.refresh_token;
      if (refreshToken === undefined) throw this.#logInAgain("no refresh token is held");
      const response = await this.#post(refreshToken);
      const parsed = TokenResponse.safeParse(this.#json(response));
      if (!parsed.success) {
        throw new TiledError("invalid-response", "The refresh answer holds no access token.", { url: response.url, status: response.status, secrets: this.secrets() });
      }
      // An identity provider may not rotate the refresh token: keep the one we have.
      const tokens: Tokens = { refresh_token: refreshToken, ...parsed.data };
      this.set({ access_token: tokens.access_token, refresh_token: tokens.refresh_token, id_token: tokens.id_token ?? this.#tokens.id_token });
    };
    await (cache ? cache.withLock(run) : run());
  }

  async #post(refreshToken: string): Promise<TransportResponse> {
    const target = this.#options.refresh;
    this.#seen.add(refreshToken);
    const body =
      target.kind === "tiled"
        ? { text: JSON.stringify({ refresh_token: refreshToken }), type: "application/json" }
        : {
            text: new URLSearchParams({ grant_type: "refresh_token", refresh_token: refreshToken, client_id: target.clientId, ...(target.scopes ? { scope: target.scopes } : {}) }).toString(),
            type: "application/x-www-form-urlencoded",
          };
    try {
      return await this.#options.post(target.url, new TextEncoder().encode(body.text), body.type, [refreshToken]);
    } catch (err) {
      // 400/401: the session expired or was revoked (tiled), or the provider refused the token.
      if (err instanceof TiledError && (err.status === 400 || err.status === 401)) {
        const held = this.#tokens;
        this.#tokens = {};
        this.#options.cache?.clearIfUnchanged({ access_token: held.access_token, refresh_token: held.refresh_token });
        throw this.#logInAgain("the server refused to refresh the session (it expired, or was revoked)", err);
      }
      throw err;
    }
  }

  #json(response: TransportResponse): unknown {
    try {
      return JSON.parse(new TextDecoder().decode(response.body));
    } catch {
      return undefined;
    }
  }

  #logInAgain(why: string, cause?: unknown): TiledError {
    return new TiledError("unauthorized", `Logged out: ${why}. Log in again: ${this.#options.loginHint}.`, { cause, secrets: this.secrets() });
  }
}
