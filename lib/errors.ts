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
  /** Nothing listens at the URL (connection refused, DNS failure, reset). */
  | "unreachable"
  /** The request took longer than the configured timeout. */
  | "timeout"
  /** The request was cancelled through the caller's AbortSignal. */
  | "aborted"
  /** The server answered, but the body is not what the API promises (bad JSON, wrong shape, short body). */
  | "invalid-response"
  /** The query is not registered on this server, or the node cannot run it. */
  | "unsupported-query"
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
    const url = init.url === undefined ? undefined : redactUrl(init.url);
    const parts = [message];
    if (url && !message.includes(url)) parts.push(`URL: ${url}`);
    if (init.requestId) parts.push(`request id: ${init.requestId}`);
    super(parts.join("\n  "), init.cause === undefined ? undefined : { cause: init.cause });
    this.code = code;
    this.status = init.status;
    this.url = url;
    this.detail = init.detail;
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
