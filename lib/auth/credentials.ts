/**
 * auth/credentials.ts — what authenticates a context's requests: nothing, an API key, or login tokens.
 *
 * The context owns one `Credentials` and every request (HTTP and websocket) asks it for headers.
 * Credentials go only to the server's own origin: a redirect to another host or port gets none.
 * Their secrets are listed so errors and recordings can remove them.
 *
 * @example
 * const credentials = apiKeyCredentials("http://127.0.0.1:8000", key);
 * credentials.headersFor("http://127.0.0.1:8000/api/v1/");   // { Authorization: "Apikey …" }
 * credentials.headersFor("http://elsewhere/");                // {}
 */
export interface Credentials {
  /** "anonymous", "apikey" or "tokens". */
  readonly kind: "anonymous" | "apikey" | "tokens";
  /** The headers that authenticate a request to `url`: none unless it is the server's own origin. */
  headersFor(url: string): Record<string, string>;
  /** Texts to keep out of errors, logs and recordings. */
  secrets(): string[];
  /**
   * A request was answered 401. Return true when it is worth sending once more (fresher tokens were
   * found or obtained); false to report the 401. `sent` is the Authorization header it carried.
   */
  recover?(sent: string | undefined): Promise<boolean>;
  /** Before a request is sent: a chance to refresh credentials that are about to expire. */
  prepare?(): Promise<void>;
}

// The two that need no login live with their owner, the context (so an anonymous read or one with an
// API key crosses no module of auth/); they are re-exported here with the interface.
export { ANONYMOUS, apiKeyCredentials } from "../context.js";
