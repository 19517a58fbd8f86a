/**
 * response-errors.ts — what a failed request becomes: a TiledError that says what to do.
 *
 * A non-2xx answer carries the status, the server's `detail` (schemas/error.ts), the URL and the
 * request id; a 404 is "not-found", a 401 "unauthorized" (with how to log in), and a registered
 * query the node cannot run (tiled answers 400 "query type … is not supported on this node") is
 * "unsupported-query". A request that got no answer is "unreachable" (nothing listening, a reset,
 * a host that does not resolve) — retried by the transport; one that got an answer that is not
 * HTTP, or a body cut short, is "invalid-response": that server answered, badly, and asking again
 * will not help.
 *
 * @example
 * throw errorFromResponse({ url, status: 404, contentType: "application/json", body, … }, secrets);
 * throw failedRequest("http://127.0.0.1:8000/api/v1/", econnrefused);
 */
import { TiledError, formatDetail, redactUrl } from "./errors.js";
import { BodyCutShort } from "./http/types.js";
import type { TransportResponse } from "./http/types.js";
import { ErrorBody } from "./schemas/error.js";

/** Turn a non-2xx response into a TiledError carrying status, detail and request id. */
export function errorFromResponse(response: TransportResponse, secrets: readonly string[] = []): TiledError {
  let detail: unknown;
  const text0 = new TextDecoder().decode(response.body);
  if (response.contentType.includes("json")) {
    try {
      const parsed = ErrorBody.safeParse(JSON.parse(text0));
      if (parsed.success) detail = parsed.data.detail;
    } catch {
      /* not JSON after all: fall through to the text */
    }
  }
  if (detail === undefined) {
    const text = text0.trim();
    detail = text.length > 200 ? `${text.slice(0, 200)}…` : text;
  }
  const status = response.status;
  const text = formatDetail(detail);
  // A registered query the node cannot run (Regex, or TimeRange on an SQL catalog) comes back as 400.
  const code =
    status === 404
      ? "not-found"
      : status === 401
        ? "unauthorized"
        : status === 403
          ? "forbidden"
          : status === 400 && /query type .* is not supported on this node/i.test(text)
            ? "unsupported-query"
            : "http";
  const advice =
    code === "unauthorized"
      ? "\n  The server wants credentials: log in (login() or `tiled login <url>` in a terminal), or give an API key (apiKey, or TILED_API_KEY)."
      : code === "forbidden"
        ? "\n  The server knows who you are but does not allow this: ask its operators for access, or use credentials that have it."
        : "";
  return new TiledError(code, `${status}: ${text || "(no detail)"} ${redactUrl(response.url)}${advice}`, {
    status,
    url: response.url,
    detail,
    requestId: response.requestId,
    secrets,
  });
}

/** The system error code of a failed request (ECONNREFUSED, HPE_INVALID_CONSTANT, …), from any HTTP function. */
function errorCode(cause: unknown): string | undefined {
  if (cause instanceof Error && "code" in cause && typeof cause.code === "string" && cause.code) return cause.code;
  return undefined;
}

/**
 * The error for a request that did not complete: a body cut short or an answer that is not HTTP
 * (node's parser codes HPE_*, a broken compressed body Z_*) is invalid-response; anything else
 * means no answer came, and is unreachable, naming the URL, the reason and what to check.
 */
export function failedRequest(url: string, cause: unknown, secrets: readonly string[] = []): TiledError {
  if (cause instanceof BodyCutShort) {
    return new TiledError(
      "invalid-response",
      `The server's answer was cut short: the connection closed after ${cause.received} bytes${cause.announced === undefined ? "" : ` of the ${cause.announced} announced`}.`,
      { url, cause, secrets },
    );
  }
  const code = errorCode(cause) ?? errorCode(cause instanceof Error ? cause.cause : undefined);
  if (code !== undefined && (code.startsWith("HPE_") || code.startsWith("Z_") || code === "ERR_INVALID_HTTP_RESPONSE" || code === "ERR_INVALID_CHAR")) {
    return new TiledError("invalid-response", `The server's answer is not valid HTTP (${code}): the server, or a proxy before it, is misbehaving.`, { url, cause, secrets });
  }
  const reason = code ?? (cause instanceof Error ? cause.message : String(cause));
  let origin = url;
  try {
    origin = new URL(url).origin;
  } catch {
    /* keep the URL as given */
  }
  const advice =
    code === "ECONNREFUSED"
      ? "\n  Nothing listens there: check the URL and that the server is running."
      : code === "ENOTFOUND" || code === "EAI_AGAIN"
        ? "\n  The host name does not resolve: check the URL."
        : "";
  return new TiledError("unreachable", `Cannot reach the tiled server at ${redactUrl(origin)} (${reason}).${advice}`, { url, cause, secrets });
}
