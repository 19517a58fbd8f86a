/**
 * response-errors.ts — what a failed request becomes: a TiledError that says what to do.
 *
 * A non-2xx answer carries the status, the server's `detail` (schemas/error.ts), the URL and the
 * request id; a 404 is "not-found", and a registered query the node cannot run (tiled answers 400
 * "query type … is not supported on this node") is "unsupported-query". A connection that cannot
 * be made names the URL and the reason; only a refused connection on this machine, where the
 * project's replica listens, suggests starting the replica.
 *
 * @example
 * throw errorFromResponse({ url, status: 404, contentType: "application/json", body }, secrets);
 * throw unreachable("http://127.0.0.1:8000/api/v1/", econnrefused);
 */
import { TiledError, formatDetail, redactUrl } from "./errors";
import type { TransportResponse } from "./http/types";
import { ErrorBody } from "./schemas/error";

/** Turn a non-2xx response into a TiledError carrying status, detail and request id. */
export function errorFromResponse(response: TransportResponse, secrets: readonly string[] = []): TiledError {
  let detail: unknown;
  if (response.contentType.includes("json")) {
    try {
      const parsed = ErrorBody.safeParse(JSON.parse(new TextDecoder().decode(response.body)));
      if (parsed.success) detail = parsed.data.detail;
    } catch {
      /* not JSON after all: fall through to the text */
    }
  }
  if (detail === undefined) {
    const text = new TextDecoder().decode(response.body).trim();
    detail = text.length > 200 ? `${text.slice(0, 200)}…` : text;
  }
  const status = response.status;
  const text = formatDetail(detail);
  // A registered query the node cannot run (Regex, or TimeRange on an SQL catalog) comes back as 400.
  const code = status === 404 ? "not-found" : status === 400 && /query type .* is not supported on this node/i.test(text) ? "unsupported-query" : "http";
  return new TiledError(code, `${status}: ${text || "(no detail)"} ${redactUrl(response.url)}`, {
    status,
    url: response.url,
    detail,
    requestId: response.requestId,
    secrets,
  });
}

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

/** The system error code of a failed connection (ECONNREFUSED, ENOTFOUND, …), from any HTTP client. */
function errorCode(cause: unknown): string | undefined {
  if (cause instanceof Error && "code" in cause && typeof cause.code === "string" && cause.code) return cause.code;
  return undefined;
}

/** The error for a failed connection: name the URL and the reason, and what to do. */
export function unreachable(url: string, cause: unknown, secrets: readonly string[] = []): TiledError {
  const code = errorCode(cause);
  const reason = code ?? (cause instanceof Error ? cause.message : String(cause));
  let origin = url;
  let host = "";
  try {
    const parsed = new URL(url);
    origin = parsed.origin;
    host = parsed.hostname;
  } catch {
    /* keep the URL as given */
  }
  const advice =
    code === "ECONNREFUSED"
      ? LOOPBACK_HOSTS.has(host)
        ? "\n  Nothing listens there. Start the replica server with `bin/replica start` (after `bash scripts/setup.sh`),\n" +
          "  or point TILED_URL at a running server, or replay recorded responses with TILED_SNAPSHOTS=replay."
        : "\n  Nothing listens there: check the URL and that the server is running."
      : code === "ENOTFOUND" || code === "EAI_AGAIN"
        ? "\n  The host name does not resolve: check the URL."
        : "";
  return new TiledError("unreachable", `Cannot reach the tiled server at ${redactUrl(origin)} (${reason}).${advice}`, { url, cause, secrets });
}
