/**
 * auth/token-answer.ts — read a token endpoint's answer (a login, a refresh, a device-code poll),
 * and say clearly when it is not one.
 *
 * A token endpoint is sometimes not what answers: a facility's single-sign-on page or a proxy's
 * error page (HTML, with status 200), a truncated body, JSON without an access token. The error
 * names the URL, the status, the content type and the size, and never the body: a token endpoint's
 * body is where tokens are, and a broken one may still carry some (or echo the password it was sent).
 *
 * @example
 * const tokens = tokenAnswer(response, "login");   // { access_token, refresh_token?, expires_in?, … }
 */
import { TiledError } from "../errors.js";
import type { TransportResponse } from "../http/types.js";
import { TokenResponse } from "../schemas/auth.js";

/** What a token endpoint's answer is about, for the error. */
export type AnswerKind = "login" | "refresh" | "device authorization";

/** A 2xx answer's JSON; "invalid-response" naming its type and size (never its body) when it is not JSON. */
export function answerJson(response: TransportResponse, what: AnswerKind, secrets: readonly string[] = []): unknown {
  const text = new TextDecoder().decode(response.body);
  try {
    return JSON.parse(text);
  } catch {
    const type = response.contentType || "no content type";
    const html = /^\s*</.test(text) || type.includes("html");
    throw new TiledError(
      "invalid-response",
      `${where(response, what)} ${html ? "an HTML page" : "something that is not JSON"} (${type}, ${response.body.byteLength} bytes), not ${what === "device authorization" ? "a device code" : "tokens"}. ` +
        (html ? "A sign-in page or a proxy answered instead of the server: check the server's URL, or log in from a terminal with `tiled login`." : "Check the server's URL; if it is right, tell its operators."),
      { url: response.url, status: response.status, requestId: response.requestId, secrets },
    );
  }
}

function where(response: TransportResponse, what: AnswerKind): string {
  const name = what === "login" ? "login" : what === "refresh" ? "token refresh" : "device authorization";
  return `The ${name} endpoint ${response.url} answered ${response.status} with`;
}

/** The tokens in a 2xx answer of a token endpoint; "invalid-response" (without the body) otherwise. */
export function tokenAnswer(response: TransportResponse, what: "login" | "refresh", secrets: readonly string[] = []): TokenResponse {
  const json = answerJson(response, what, secrets);
  const parsed = TokenResponse.safeParse(json);
  if (!parsed.success) {
    const keys = json !== null && typeof json === "object" && !Array.isArray(json) ? Object.keys(json).slice(0, 10).map((k) => (k.length > 40 ? `${k.slice(0, 40)}…` : k)) : [];
    throw new TiledError(
      "invalid-response",
      `${where(response, what)} JSON that holds no access token (${keys.length ? `keys: ${keys.join(", ")}` : Array.isArray(json) ? "an array" : `a ${json === null ? "null" : typeof json}`}). Check the server's URL; if it is right, tell its operators.`,
      { url: response.url, status: response.status, requestId: response.requestId, secrets },
    );
  }
  return parsed.data;
}
