/**
 * A small stand-in for a tiled server with a password login, for the faults a real tiled server
 * cannot be made to show on cue (issue 18's numbered cases): a clock hours off (its JWTs' iat and
 * exp on its own clock, with or without iat and expires_in), a token endpoint that answers an HTML
 * sign-in page or garbage, an identity provider that says slow_down, a server that echoes every
 * credential it is sent back in its errors. Everything else is as tiled 0.2.20 answers (read in
 * server/authentication.py and router.py): the about document's authentication block, form login,
 * JSON refresh, `whoami` null without credentials, 401 "Access token has expired".
 *
 * Tokens are unsigned JWTs (header.payload.x): the server accepts only those it issued, by its
 * own clock. The password is generated per server and never printed.
 */
import { randomBytes } from "node:crypto";
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeAuthOptions {
  /** The server's clock minus this machine's, in seconds (e.g. -3 * 3600: three hours behind). */
  clockOffsetS?: number;
  /** Access-token lifetime (default 60 s). */
  accessSeconds?: number;
  /** Put `iat` in the JWTs (tiled does not). Default false. */
  iat?: boolean;
  /** Send `expires_in` with tokens (tiled does). Default true. */
  expiresIn?: boolean;
  /** Override a token endpoint's answer (the login's or the refresh's): status, content type, body. */
  tokenAnswer?: (kind: "login" | "refresh", sent: { password?: string; refreshToken?: string }) => { status: number; type: string; body: string } | undefined;
  /** Echo every credential received (Authorization header, request body) in error answers: a hostile server. */
  echo?: boolean;
  /** Where to listen (default 127.0.0.1; "0.0.0.0" to be reached by another name). */
  host?: string;
}

export interface FakeAuthServer {
  url: string;
  port: number;
  username: string;
  password: string;
  /** Requests by path (no query), with whether they carried an Authorization header, and the status answered. */
  log: { method: string; path: string; authorized: boolean; status: number }[];
  count(path: string, status?: number): number;
  /** Every token this server issued (to look for them in errors and recordings). */
  issued: string[];
  /** Change behaviour on the fly. */
  options: FakeAuthOptions;
  close(): Promise<void>;
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

export async function startFakeAuthServer(options: FakeAuthOptions = {}): Promise<FakeAuthServer> {
  const username = "alice";
  const password = `pw-${randomBytes(12).toString("hex")}`;
  const access = new Map<string, number>(); // token -> exp (server clock)
  const refresh = new Set<string>();
  const issued: string[] = [];
  const log: FakeAuthServer["log"] = [];
  const state: FakeAuthServer = {
    url: "",
    port: 0,
    username,
    password,
    log,
    issued,
    options,
    count: (p, status) => log.filter((e) => e.path.endsWith(p) && (status === undefined || e.status === status)).length,
    close: async () => undefined,
  };
  const serverNow = () => Date.now() / 1000 + (state.options.clockOffsetS ?? 0);

  function tokens(): Record<string, unknown> {
    const now = serverNow();
    const lifetime = state.options.accessSeconds ?? 60;
    const exp = Math.floor(now + lifetime);
    const claims: Record<string, unknown> = { sub: username, type: "access", exp, jti: randomBytes(8).toString("hex") };
    if (state.options.iat) claims.iat = Math.floor(now);
    const accessToken = `${b64({ alg: "HS256", typ: "JWT" })}.${b64(claims)}.${randomBytes(16).toString("base64url")}`;
    const refreshToken = `${b64({ alg: "HS256", typ: "JWT" })}.${b64({ type: "refresh", sid: randomBytes(8).toString("hex") })}.${randomBytes(16).toString("base64url")}`;
    access.set(accessToken, exp);
    refresh.add(refreshToken);
    issued.push(accessToken, refreshToken);
    return {
      access_token: accessToken,
      refresh_token: refreshToken,
      token_type: "bearer",
      ...(state.options.expiresIn === false ? {} : { expires_in: lifetime, refresh_token_expires_in: 3600 }),
    };
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const url = new URL(req.url ?? "/", "http://x");
      const auth = req.headers.authorization;
      const base = `http://${req.headers.host}`;
      const api = `${base}/api/v1`;
      const send = (status: number, value: unknown, type = "application/json", raw = false) => {
        log.push({ method: req.method ?? "GET", path: url.pathname, authorized: auth !== undefined, status });
        res.writeHead(status, { "content-type": type });
        res.end(raw || !type.includes("json") ? String(value) : JSON.stringify(value));
      };
      const refuse = (detail: string) => send(401, { detail: state.options.echo ? `${detail} (you sent ${auth ?? "nothing"}; body ${body})` : detail });
      const bearer = auth?.startsWith("Bearer ") ? auth.slice(7) : undefined;
      const checkBearer = (): boolean | "anonymous" => {
        if (bearer === undefined) return "anonymous";
        const exp = access.get(bearer);
        if (exp === undefined) {
          refuse("Could not validate credentials");
          return false;
        }
        if (serverNow() > exp) {
          refuse("Access token has expired. Refresh token.");
          return false;
        }
        return true;
      };
      const route = url.pathname.replace(/\/+$/, "");
      if (req.method === "GET" && route === "/api/v1") {
        return send(200, {
          api_version: 0,
          library_version: "0.2.20-fake",
          formats: {},
          aliases: {},
          queries: [],
          authentication: {
            required: true,
            providers: [{ provider: "fake", mode: "internal", links: { auth_endpoint: `${api}/auth/provider/fake/token` }, confirmation_message: null }],
            links: { whoami: `${api}/auth/whoami`, apikey: `${api}/auth/apikey`, refresh_session: `${api}/auth/session/refresh`, revoke_session: `${api}/auth/session/revoke/{session_id}`, logout: `${api}/auth/logout` },
          },
          links: { self: api, documentation: `${api}/docs` },
          meta: {},
        });
      }
      if (req.method === "POST" && route === "/api/v1/auth/provider/fake/token") {
        const form = new URLSearchParams(body);
        const override = state.options.tokenAnswer?.("login", { password: form.get("password") ?? undefined });
        if (override) return send(override.status, override.body, override.type, true);
        if (form.get("username") !== username || form.get("password") !== password) return refuse("Incorrect username or password");
        return send(200, { ...tokens(), identity: { id: username, provider: "fake" } });
      }
      if (req.method === "POST" && route === "/api/v1/auth/session/refresh") {
        let sent: string | undefined;
        try {
          sent = (JSON.parse(body) as { refresh_token?: string }).refresh_token;
        } catch {
          return send(422, { detail: "not JSON" });
        }
        const override = state.options.tokenAnswer?.("refresh", { refreshToken: sent });
        if (override) return send(override.status, override.body, override.type, true);
        if (sent === undefined || !refresh.has(sent)) return refuse("Session has expired. Please re-authenticate.");
        return send(200, tokens());
      }
      if (req.method === "POST" && route === "/api/v1/auth/session/revoke") {
        const sent = (JSON.parse(body || "{}") as { refresh_token?: string }).refresh_token;
        if (sent !== undefined) refresh.delete(sent);
        log.push({ method: "POST", path: url.pathname, authorized: auth !== undefined, status: 204 });
        res.writeHead(204);
        return res.end();
      }
      if (req.method === "GET" && route === "/api/v1/auth/whoami") {
        const ok = checkBearer();
        if (ok === false) return;
        return send(200, ok === "anonymous" ? null : { uuid: "00000000-0000-4000-8000-000000000001", type: "user", identities: [{ id: username, provider: "fake" }], roles: [], api_keys: [], sessions: [] });
      }
      if (req.method === "GET" && route.startsWith("/api/v1/metadata")) {
        const ok = checkBearer();
        if (ok === false) return;
        if (ok === "anonymous") return refuse("Not enough permissions. Requires scopes ['read:metadata']");
        return send(200, {
          data: { id: "", attributes: { ancestors: [], structure_family: "container", metadata: {}, specs: [], sorting: [], structure: { contents: null, count: 0 } }, links: { self: `${api}/metadata/`, search: `${api}/search/` }, meta: {} },
          links: null,
          meta: {},
        });
      }
      send(404, { detail: `Not found: ${url.pathname}` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, options.host ?? "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  state.port = port;
  state.url = `http://127.0.0.1:${port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}
