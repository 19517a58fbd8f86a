/**
 * errors.ts — the one error type the library throws.
 *
 * Every failure, whether the server answered with an error, the server could not be reached, a
 * response did not have the expected shape, or the caller passed bad input, is a `TiledError`
 * with a `code` to switch on. Like tiled's Python `handle_error`, it shows the status, the
 * server's `detail`, the URL and the request id (`x-tiled-request-id`). API keys are stripped
 * from every URL before it is stored, so an error can be printed or logged safely.
 *
 * @example
 * try {
 *   await catalog.get("no-such-uid");
 * } catch (err) {
 *   if (err instanceof TiledError && err.code === "not-found") console.log(err.status, err.detail);
 *   else throw err;
 * }
 */

/** What went wrong, as a discriminator callers can switch on. */
export type TiledErrorCode =
  /** The server answered with an HTTP error status (other than 404). */
  | "http"
  /** The server answered 404: unknown catalog, uid, stream or key. */
  | "not-found"
  /** The server wants credentials (401), or refused the ones given: log in, or give an API key. */
  | "unauthorized"
  /** The server knows who you are but does not allow this (403). */
  | "forbidden"
  /** A login did not succeed: a wrong password, a refused or expired device code, a provider that answered badly. */
  | "login-failed"
  /** Nothing listens at the URL (connection refused, DNS failure, reset). */
  | "unreachable"
  /** The server redirected in a loop, or more times than the client follows. */
  | "redirect"
  /** The answer is larger than the client accepts for its kind (a JSON body over `maxJsonBytes`, a table over `maxTableBytes`, a live frame over `maxPayload`). */
  | "too-large"
  /** The request took longer than the configured timeout. */
  | "timeout"
  /** The request was cancelled through the caller's AbortSignal. */
  | "aborted"
  /** The server answered, but the body is not what the API promises (bad JSON, wrong shape, a body cut short). */
  | "invalid-response"
  /** The query is not registered on this server, or the node cannot run it. */
  | "unsupported-query"
  /** A node's children are laid out in a way the client does not know (neither TiledWriter's nor databroker's). */
  | "unsupported-layout"
  /** The array's data type has no TypedArray counterpart (strings, structured types). */
  | "unsupported-dtype"
  /** The caller's input is invalid (a date, a zone, a page size, a slice, …); nothing was sent. */
  | "bad-input"
  /** Replay mode found no recorded response for this request. */
  | "snapshot-missing";

export interface TiledErrorInit {
  status?: number;
  url?: string;
  detail?: unknown;
  requestId?: string;
  cause?: unknown;
  /** Texts (API keys) to remove from the message, the detail and the cause before they are stored. */
  secrets?: readonly string[];
}

import { apiKeyInUrl } from "./urls.js";

export { apiKeyInUrl };

export const REDACTED = "REDACTED";

/** Replace every secret, and any `api_key=…` query value, in a text. */
export function redactText(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) if (secret) out = out.split(secret).join(REDACTED);
  return out.replace(/([?&]api_key=)[^&#\s"'<>]*/gi, `$1${REDACTED}`);
}


/**
 * A copy of an error's cause with secrets removed from its message and stack, and from its own
 * cause in turn, so that `util.inspect(err)` (which prints causes) shows no key. The class name
 * and a string `code` (ECONNREFUSED, …) are kept.
 */
export function redactCause(cause: unknown, secrets: readonly string[] = [], depth = 0): unknown {
  if (cause === undefined || cause === null) return cause;
  if (!(cause instanceof Error)) return typeof cause === "string" ? redactText(cause, secrets) : cause;
  if (depth > 5) return undefined;
  const inner = "cause" in cause ? redactCause(cause.cause, secrets, depth + 1) : undefined;
  const copy = new Error(redactText(cause.message, secrets), inner === undefined ? undefined : { cause: inner });
  copy.name = cause.name;
  copy.stack = cause.stack === undefined ? undefined : redactText(cause.stack, secrets);
  const code = (cause as { code?: unknown }).code;
  if (typeof code === "string") Object.defineProperty(copy, "code", { value: code, enumerable: true });
  return copy;
}

function redactDetail(detail: unknown, secrets: readonly string[]): unknown {
  if (detail === undefined || detail === null) return detail;
  if (typeof detail === "string") return redactText(detail, secrets);
  try {
    const text = JSON.stringify(detail);
    const redacted = redactText(text, secrets);
    return redacted === text ? detail : JSON.parse(redacted);
  } catch {
    return detail;
  }
}

/** Remove credentials from a URL: the `api_key` query parameter and any user:password part. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    let changed = false;
    if (parsed.searchParams.has("api_key")) {
      parsed.searchParams.set("api_key", "REDACTED");
      changed = true;
    }
    if (parsed.username || parsed.password) {
      parsed.username = "";
      parsed.password = "";
      changed = true;
    }
    return changed ? parsed.toString() : url;
  } catch {
    // Not a URL (a relative path, say): still hide an api_key=… if one is there.
    return url.replace(/([?&]api_key=)[^&#]*/gi, "$1REDACTED");
  }
}

/** Render a server `detail` (a string, or FastAPI's list of validation problems) as one line. */
export function formatDetail(detail: unknown): string {
  if (detail === undefined || detail === null) return "";
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    return detail
      .map((d) => {
        if (d && typeof d === "object" && "msg" in d) {
          const loc = "loc" in d && Array.isArray(d.loc) ? d.loc.join(".") : "";
          return loc ? `${loc}: ${String(d.msg)}` : String(d.msg);
        }
        return JSON.stringify(d);
      })
      .join("; ");
  }
  return JSON.stringify(detail);
}

export class TiledError extends Error {
  override readonly name = "TiledError";
  readonly code: TiledErrorCode;
  /** HTTP status, when the server answered. */
  readonly status?: number;
  /** The request URL with any API key removed. */
  readonly url?: string;
  /** The server's `detail` (string or FastAPI validation list), when it sent one. */
  readonly detail?: unknown;
  /** `x-tiled-request-id`: the id the server logged this request under. */
  readonly requestId?: string;

  constructor(code: TiledErrorCode, message: string, init: TiledErrorInit = {}) {
    const secrets = [...(init.secrets ?? []), ...(init.url ? [apiKeyInUrl(init.url) ?? ""] : [])].filter(Boolean);
    const url = init.url === undefined ? undefined : redactText(redactUrl(init.url), secrets);
    const text = redactText(message, secrets);
    const parts = [text];
    if (url && !text.includes(url)) parts.push(`URL: ${url}`);
    if (init.requestId) parts.push(`request id: ${init.requestId}`);
    const cause = redactCause(init.cause, secrets);
    super(parts.join("\n  "), cause === undefined ? undefined : { cause });
    this.code = code;
    this.status = init.status;
    this.url = url;
    this.detail = redactDetail(init.detail, secrets);
    this.requestId = init.requestId;
  }
}

/** True when `err` is a TiledError, optionally of one of the given codes. */
export function isTiledError(err: unknown, ...codes: TiledErrorCode[]): err is TiledError {
  return err instanceof TiledError && (codes.length === 0 || codes.includes(err.code));
}

/** A TiledError for caller input that is invalid; nothing was sent. */
export function badInput(message: string, url?: string): TiledError {
  return new TiledError("bad-input", message, { url });
}
