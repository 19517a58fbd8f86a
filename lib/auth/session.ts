/**
 * auth/session.ts — end a login session on the server, so its refresh token no longer works.
 *
 * tiled's own sessions (password, and tiled's device flow): `POST /auth/session/revoke` with the
 * refresh token, as Python's `logout` does. Proxied OIDC (tiled keeps no session; the identity
 * provider does): Python only GETs the provider's end-session page, which a browser would show and
 * a program cannot confirm, so the refresh token stays valid there. This client also revokes the
 * refresh token at the provider's revocation endpoint (RFC 7009), found in its discovery document
 * (`<issuer>/.well-known/openid-configuration`, the issuer from the access token's `iss`, else
 * looked for above the token endpoint), and only from the document that names the token endpoint
 * the server gave, on that endpoint's origin: a refresh token goes nowhere it did not go already.
 *
 * @example
 * await endSession({ transport, apiBase, provider, tokens });   // then clear the cache
 */
import { z } from "zod";
import { TiledError } from "../errors.js";
import type { Transport } from "../http/transport.js";
import type { RequestOptions } from "../http/types.js";
import { parseJson } from "../parse.js";
import type { AuthLinks, AuthProvider } from "../schemas/auth.js";
import { originOf, resolveLink, routeUrl, withParams } from "../urls.js";
import type { Tokens } from "./token-cache.js";
import { jwtClaim } from "./tokens.js";

/** The part of an OpenID provider's discovery document this module reads. */
const Discovery = z.looseObject({
  issuer: z.string(),
  token_endpoint: z.string().optional(),
  revocation_endpoint: z.string().optional(),
});

export interface EndSessionArgs {
  transport: Transport;
  apiBase: string;
  links: AuthLinks;
  /** The provider logged in with (its links say whether it is proxied OIDC). */
  provider: AuthProvider | undefined;
  tokens: Readonly<Tokens>;
  /** Every token to keep out of errors. */
  secrets: readonly string[];
}

function form(fields: Record<string, string>): Uint8Array {
  return new TextEncoder().encode(new URLSearchParams(fields).toString());
}

/**
 * Where the provider's discovery document may be: under the access token's `iss`, else under the
 * token endpoint's origin and each of its path's prefixes (`…/realms/x/protocol/openid-connect/token`
 * has its issuer at `…/realms/x`).
 */
function discoveryCandidates(tokenEndpoint: string, tokens: Readonly<Tokens>): string[] {
  const out: string[] = [];
  const iss = jwtClaim(tokens.access_token ?? "", "iss") ?? jwtClaim(tokens.id_token ?? "", "iss");
  if (typeof iss === "string" && originOf(iss) === originOf(tokenEndpoint)) out.push(iss.replace(/\/+$/, ""));
  const url = new URL(tokenEndpoint);
  const segments = url.pathname.split("/").filter(Boolean);
  for (let n = segments.length - 1; n >= 0; n--) out.push(`${url.origin}${n ? `/${segments.slice(0, n).join("/")}` : ""}`);
  return [...new Set(out)].slice(0, 6);
}

/**
 * The provider's revocation endpoint, or undefined when it cannot be found safely: the discovery
 * document must name the very token endpoint the server gave (so it is that provider's), and the
 * revocation endpoint must be on its origin.
 */
async function revocationEndpoint(args: EndSessionArgs, options: RequestOptions): Promise<string | undefined> {
  const tokenEndpoint = args.provider?.links.token_endpoint;
  if (tokenEndpoint === undefined) return undefined;
  for (const issuer of discoveryCandidates(tokenEndpoint, args.tokens)) {
    try {
      const response = await args.transport.send({ url: `${issuer}/.well-known/openid-configuration`, accept: "application/json", anonymous: true }, options);
      const doc = parseJson(response, Discovery);
      if (doc.token_endpoint !== tokenEndpoint) continue;
      const endpoint = doc.revocation_endpoint;
      return endpoint !== undefined && originOf(endpoint) === originOf(tokenEndpoint) ? endpoint : undefined;
    } catch {
      /* not there: the next candidate */
    }
  }
  return undefined;
}

/**
 * Tell the server (or its identity provider) that this session is over. Throws when it could not
 * be told; the caller clears the tokens here either way.
 */
export async function endSession(args: EndSessionArgs, options: RequestOptions = {}): Promise<void> {
  const { transport, tokens, secrets } = args;
  const clientId = args.provider?.links.client_id;
  const refreshToken = tokens.refresh_token;
  if (!clientId) {
    if (refreshToken === undefined) return;
    const body = new TextEncoder().encode(JSON.stringify({ refresh_token: refreshToken }));
    await transport.send({ method: "POST", url: routeUrl(args.apiBase, "auth/session/revoke"), accept: "application/json", body, contentType: "application/json", anonymous: true, secrets }, options);
    return;
  }
  let revoked = false;
  if (refreshToken !== undefined) {
    const endpoint = await revocationEndpoint(args, options);
    if (endpoint !== undefined) {
      await transport.send({ method: "POST", url: endpoint, accept: "application/json", body: form({ token: refreshToken, token_type_hint: "refresh_token", client_id: clientId }), contentType: "application/x-www-form-urlencoded", anonymous: true, secrets }, options);
      revoked = true;
    }
  }
  // What Python sends: the provider's end-session page, for its single sign-on session.
  const idToken = tokens.id_token;
  const url = withParams(resolveLink(args.links.logout, args.apiBase), [...(idToken ? [["id_token_hint", idToken] as const] : []), ["client_id", clientId] as const]);
  await transport.send({ url, accept: "*/*", anonymous: true, secrets }, options);
  if (!revoked && refreshToken !== undefined) {
    throw new TiledError(
      "http",
      `The identity provider offers no revocation endpoint this client can find (${originOf(args.provider?.links.token_endpoint ?? "") ?? "unknown"}): the tokens are removed here, but the provider may still accept the refresh token until it expires.`,
      { secrets },
    );
  }
}
