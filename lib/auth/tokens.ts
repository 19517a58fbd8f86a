/**
 * auth/tokens.ts — the credentials of a login: an access token sent as `Authorization: Bearer`,
 * refreshed with the refresh token when it expires, shared with other processes through the cache.
 *
 * As tiled's Python client (`client/auth.py` TiledAuth) does on a 401: first reload the tokens
 * from disk (another process, or `tiled login` in a terminal, may have refreshed them), else
 * refresh once and send the request again. Beyond Python: concurrent requests that hit a 401 share
 * one refresh; processes take turns through a lock file; a token about to expire is refreshed
 * before it is sent; a refused refresh clears the cache only if it still holds the tokens that were
 * refused, and says to log in again.
 *
 * When a token expires is reckoned on this machine's clock, so a server whose clock is off by hours
 * changes nothing: from the token answer's `expires_in` (seconds from now, the OAuth way), else
 * from the JWT's own lifetime (exp − iat) counted from when the token arrived (for a cached token,
 * when its file was written), else from its `exp` alone. Tokens refresh a fifth of their lifetime
 * (at most 30 s) before they expire; if a fresh token already looks due (no expires_in, no iat, and
 * a server clock behind ours), early refresh stops for good, and 401s alone drive refreshes: never
 * a refresh per request.
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
import { tokenAnswer } from "./token-answer.js";
import { originOf } from "../urls.js";
import type { TokenCache, Tokens } from "./token-cache.js";

/** Where a session is refreshed. */
export type RefreshTarget = { kind: "tiled"; url: string } | { kind: "oidc"; url: string; clientId: string; scopes?: string };

/** An unauthenticated POST through the context's transport (a token endpoint must not get the old token). */
export type AnonymousPost = (url: string, body: Uint8Array, contentType: string, secrets?: readonly string[]) => Promise<TransportResponse>;

/** Refresh at most this long before the access token expires (and at most a fifth of its lifetime). */
export const REFRESH_MARGIN_S = 30;

/** A JWT's claims (its middle part), unverified: none of it is trusted for access, the server checks the token. */
function jwtClaims(token: string): Record<string, unknown> | undefined {
  const payload = token.split(".")[1];
  if (payload === undefined) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
    return claims !== null && typeof claims === "object" && !Array.isArray(claims) ? (claims as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** One claim of a JWT (e.g. "iss"), unverified; undefined when the token is not a JWT or lacks it. */
export function jwtClaim(token: string, name: string): unknown {
  return jwtClaims(token)?.[name];
}

/** The JWT's exp and iat, when they are numbers. */
export function jwtTimes(token: string): { exp?: number; iat?: number } {
  const claims = jwtClaims(token);
  const finite = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
  return { exp: finite(claims?.exp), iat: finite(claims?.iat) };
}

/** When an access token is due for refresh, by this machine's clock (seconds since the epoch). */
export interface Expiry {
  /** When the server will refuse it. */
  atS: number;
  /** Refresh this many seconds before `atS`. */
  marginS: number;
}

/**
 * When `token` expires by this machine's clock, given when it arrived here (`receivedAtS`) and the
 * token answer's `expires_in` when there was one. Undefined when nothing says (not a JWT, no exp).
 */
export function expiryOf(token: string, receivedAtS: number, expiresInS?: number): Expiry | undefined {
  const { exp, iat } = jwtTimes(token);
  let lifetimeS: number;
  let atS: number;
  if (expiresInS !== undefined && Number.isFinite(expiresInS) && expiresInS > 0) {
    lifetimeS = expiresInS;
    atS = receivedAtS + expiresInS;
  } else if (exp !== undefined && iat !== undefined && exp > iat) {
    // Both claims are on the server's clock: their difference is not skewed by it.
    lifetimeS = exp - iat;
    atS = receivedAtS + lifetimeS;
  } else if (exp !== undefined) {
    // Only the server's clock to go by: right when the clocks agree; the loop guard covers the rest.
    lifetimeS = exp - receivedAtS;
    atS = exp;
  } else {
    return undefined;
  }
  // A server whose clock agrees with ours (within a minute): its exp is exact, where expires_in was
  // rounded, and counted from an earlier moment (tiled truncates exp to the second: up to 1 s sooner).
  if (exp !== undefined && Math.abs(exp - atS) < 60) atS = Math.min(atS, exp);
  return { atS, marginS: Math.max(0, Math.min(REFRESH_MARGIN_S, lifetimeS / 5)) };
}

export interface TokenCredentialsOptions {
  serverUrl: string;
  /** Where tokens are shared with other processes and tiled's Python client; undefined: memory only (rememberMe false). */
  cache: TokenCache | undefined;
  refresh: RefreshTarget;
  post: AnonymousPost;
  /** What the error says to run to log in again (e.g. "tiled login http://…"). */
  loginHint: string;
  /**
   * Refresh a token shortly before it expires (default true). False: only when the server answers
   * 401, as tiled's Python client does.
   */
  refreshEarly?: boolean;
}

export class TokenCredentials implements Credentials {
  readonly kind = "tokens" as const;
  readonly #options: TokenCredentialsOptions;
  readonly #origin: string | undefined;
  #tokens: Tokens = {};
  /** When the access token held is due for refresh (undefined: unknown, no early refresh). */
  #expiry: Expiry | undefined;
  /** Early refresh gave a token that already looked due: rely on 401s from now on. */
  #earlyOff: boolean;
  /** Every token this process has held: kept out of errors and recordings even after a refresh. */
  readonly #seen = new Set<string>();
  #refreshing: Promise<void> | undefined;
  /** The access token an early refresh was already tried for (so a clock far off cannot loop). */
  #earlyTried: string | undefined;

  constructor(options: TokenCredentialsOptions) {
    this.#options = options;
    this.#origin = originOf(options.serverUrl);
    this.#earlyOff = options.refreshEarly === false;
  }

  /** Where this session is refreshed (tiled's route, or the identity provider's token endpoint). */
  get refreshTarget(): RefreshTarget {
    return this.#options.refresh;
  }

  /** The tokens held now (to write a cache, or to log out). */
  get tokens(): Readonly<Tokens> {
    return { ...this.#tokens };
  }

  get hasAccessToken(): boolean {
    return this.#tokens.access_token !== undefined;
  }

  /** How many refreshes this process sent (for a notebook's summary, and tests). */
  refreshes = 0;

  /**
   * Hold new tokens (from a login or a refresh) and write them to the cache. `receivedAtS` is when
   * they arrived (this machine's clock), `expiresInS` the answer's `expires_in`, if any.
   */
  set(tokens: Tokens, receivedAtS = Date.now() / 1000, persist = true, expiresInS?: number): void {
    this.#tokens = { ...tokens };
    for (const value of Object.values(tokens)) if (value) this.#seen.add(value);
    this.#expiry = tokens.access_token === undefined ? undefined : expiryOf(tokens.access_token, receivedAtS, expiresInS);
    if (persist) this.#options.cache?.write(tokens);
  }

  /** When the access token held is due for refresh, by this machine's clock (undefined: unknown). */
  get expiry(): Expiry | undefined {
    return this.#expiry;
  }

  /** Take the tokens in the cache, if any; false when there are none. */
  loadFromCache(): boolean {
    const cache = this.#options.cache;
    if (!cache) return false;
    const read = cache.read();
    if (!read.tokens.access_token && !read.tokens.refresh_token) return false;
    this.#adopt(read.tokens, read.writtenAtS);
    return true;
  }

  /** Tokens another process (or an earlier run) wrote: their file's time stands in for their arrival. */
  #adopt(tokens: Tokens, writtenAtS: number | undefined): void {
    this.set(tokens, writtenAtS ?? Date.now() / 1000, false);
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
    // Only a refresh token (a cache another client left so): get an access token first, as Python does.
    if (token === undefined && this.#tokens.refresh_token !== undefined && !this.#refreshing) return this.#refreshOnce(undefined);
    const expiry = this.#expiry;
    if (this.#earlyOff || token === undefined || expiry === undefined || this.#tokens.refresh_token === undefined || token === this.#earlyTried) return;
    if (expiry.atS - expiry.marginS > Date.now() / 1000) return;
    this.#earlyTried = token;
    try {
      await this.#refreshOnce(token);
    } catch (err) {
      // Refused: the session is over, and the request would go out without credentials. Say so.
      if (err instanceof TiledError && err.code === "unauthorized") throw err;
      /* Otherwise (the network, a server error): the request goes out with the old token, still valid for a moment. */
    }
    const fresh = this.#expiry;
    // A token that is due the moment it arrives: this server's clock or tokens defeat the estimate.
    if (this.#tokens.access_token !== token && fresh !== undefined && fresh.atS - fresh.marginS <= Date.now() / 1000) this.#earlyOff = true;
  }

  /** After a 401: fresher tokens from disk, else one refresh (shared by concurrent callers). */
  async recover(sent: string | undefined): Promise<boolean> {
    const current = this.#tokens.access_token;
    // Refreshed since this request went out (by a concurrent request): just send it again.
    if (current !== undefined && sent !== `Bearer ${current}`) return true;
    const disk = this.#options.cache?.read();
    if (disk?.tokens.access_token && disk.tokens.access_token !== current) {
      this.#adopt(disk.tokens, disk.writtenAtS);
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
      const read = cache?.read();
      const disk = read?.tokens;
      if (disk?.access_token && disk.access_token !== stale && disk.access_token !== this.#tokens.access_token) {
        this.#adopt(disk, read?.writtenAtS);
        return;
      }
      const refreshToken = disk?.refresh_token ?? this.#tokens.refresh_token;
      if (refreshToken === undefined) throw this.#logInAgain("no refresh token is held");
      const sentAtS = Date.now() / 1000;
      const response = await this.#post(refreshToken);
      const answer = tokenAnswer(response, "refresh", this.secrets());
      // An identity provider may not rotate the refresh token: keep the one we have.
      const tokens: Tokens = { access_token: answer.access_token, refresh_token: answer.refresh_token ?? refreshToken, id_token: answer.id_token ?? this.#tokens.id_token };
      // expires_in counts from when the server answered: the moment the request left is the safe side.
      this.set(tokens, sentAtS, true, answer.expires_in);
    };
    await (cache ? cache.withLock(run) : run());
  }

  async #post(refreshToken: string): Promise<TransportResponse> {
    const target = this.#options.refresh;
    this.#seen.add(refreshToken);
    this.refreshes++;
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

  #logInAgain(why: string, cause?: unknown): TiledError {
    return new TiledError("unauthorized", `Logged out: ${why}. Log in again: ${this.#options.loginHint}.`, { cause, secrets: this.secrets() });
  }
}
