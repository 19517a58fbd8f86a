/**
 * auth/login.ts — log in to a tiled server as tiled's Python client does: a password, or a device
 * code (tiled's own, or straight with the server's identity provider).
 *
 * The server says how (`GET /api/v1/` → authentication.providers). `internal` providers take a
 * user name and password at their token endpoint (form-encoded). `external` ones use a device code:
 * the user opens a link, enters a short code and logs in there, while this client polls for the
 * tokens (honouring the provider's interval, slow_down and expiry, and an AbortSignal). A provider
 * that gives `client_id` and `token_endpoint` is an OpenID provider the client talks to itself
 * (RFC 8628, proxied OIDC); otherwise tiled runs the device flow (`/authorize`, then its token
 * route).
 *
 * The password comes from the `password` option, else TILED_PASSWORD, else a hidden prompt when the
 * process has a terminal (three tries, as in Python); it is never stored, printed, logged or
 * recorded. A tslab kernel cannot prompt: the error then says what to do instead. A password is
 * not sent over plain http to another machine unless `allowInsecure` says so.
 *
 * @example
 * const client = await fromUri("https://tiled.example.org", { login: { username: "alice" } }); // TILED_PASSWORD
 * await client.context.login({ provider: "orcid" });   // a device code: a link and a code are shown
 */
import * as readline from "node:readline";
import { credentialsFromEnvironment } from "../config.js";
import { TiledError, badInput } from "../errors.js";
import type { RequestOptions, TransportResponse } from "../http/types.js";
import { displayHtml } from "../notebook/display.js";
import { escapeHtml } from "../notebook/html-table.js";
import { parseWith } from "../parse.js";
import { DeviceAuthorization } from "../schemas/auth.js";
import type { TokenResponse } from "../schemas/auth.js";
import type { AuthProvider } from "../schemas/auth.js";
import { resolveLink } from "../urls.js";
import { answerJson, tokenAnswer } from "./token-answer.js";
import type { AnonymousPost } from "./tokens.js";

export interface DevicePrompt {
  /** The page to open (with the code in it, when the provider gives one). */
  verificationUri: string;
  userCode: string;
  expiresInS: number;
  provider: string;
}

export interface LoginOptions extends Pick<RequestOptions, "signal"> {
  /** Which provider (its name); default the server's only one. */
  provider?: string;
  /** For a password login. Default: TILED_USERNAME, else a prompt at a terminal. */
  username?: string;
  /** For a password login. Default: TILED_PASSWORD, else a hidden prompt at a terminal. Never stored. */
  password?: string;
  /** Keep the tokens in the cache tiled's Python client shares (default true). */
  rememberMe?: boolean;
  /** Send a password over plain http to another machine (default false: only https or this machine). */
  allowInsecure?: boolean;
  /** Show the device code's link and code; default: a clickable link in a notebook, text elsewhere. */
  onDeviceCode?: (prompt: DevicePrompt) => void;
}

/** What a login obtained, before it becomes the context's credentials. */
export interface LoginResult {
  tokens: TokenResponse;
  provider: AuthProvider;
  /** Seconds since the epoch (this clock) when the tokens arrived. */
  receivedAtS: number;
}

export const DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";

/** The provider to log in with: the one named, or the server's only one; bad-input naming them otherwise. */
export function chooseProvider(providers: readonly AuthProvider[], name: string | undefined, serverUrl: string): AuthProvider {
  const described = providers.map((p) => `${p.provider} (${p.mode === "external" ? "device code" : "password"})`).join(", ");
  if (providers.length === 0) throw badInput(`${serverUrl} has no login providers: it takes anonymous requests or an API key (apiKey, or TILED_API_KEY).`);
  if (name === undefined) {
    if (providers.length === 1) return providers[0];
    throw badInput(`${serverUrl} offers several ways to log in: ${described}. Choose one: login({ provider: "${providers[0].provider}" }).`);
  }
  const found = providers.find((p) => p.provider === name);
  if (!found) throw badInput(`${serverUrl} has no login provider ${JSON.stringify(name)}; it has ${described}.`);
  return found;
}

/** OpenID scopes for a proxied provider, as Python asks for them. */
export function oidcScopes(provider: AuthProvider): string {
  return [...new Set(["openid", "offline_access", ...(provider.extra_scopes ?? [])])].sort().join(" ");
}

/**
 * Whether a host name is this machine by its very name: "localhost" (and *.localhost, RFC 6761),
 * 127.0.0.0/8, ::1. Decided on the name, never on what DNS answers for it: a name that resolves to
 * 127.0.0.1 here may resolve elsewhere on another network.
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, "").replace(/\.$/, "");
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  if (host === "::1" || host === "0:0:0:0:0:0:0:1") return true;
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host.replace(/^::ffff:/, ""));
  return v4 !== null && Number(v4[1]) === 127 && v4.slice(2).every((part) => Number(part) <= 255);
}

/**
 * Refuse to send a password to `endpoint` over plain http unless it stays on this machine or the
 * user said `allowInsecure`: anyone on the network path could read it.
 */
export function checkPasswordTransport(endpoint: URL, allowInsecure: boolean | undefined): void {
  if (endpoint.protocol === "https:" || allowInsecure === true) return;
  if (endpoint.protocol === "http:" && isLoopbackHost(endpoint.hostname)) return;
  throw badInput(
    `${endpoint.origin} asks for a password over plain ${endpoint.protocol.replace(":", "")}: it would travel in clear, readable by anyone on the network path. ` +
      "Use the server's https:// address, or pass allowInsecure: true if you trust every network between here and the server.",
  );
}

function form(fields: Record<string, string>): Uint8Array {
  return new TextEncoder().encode(new URLSearchParams(fields).toString());
}

/** Whether this process can ask for a password: a terminal, and not a Jupyter kernel. */
function canPrompt(): boolean {
  return process.stdin.isTTY === true && process.stdout.isTTY === true;
}

/** Ask at the terminal, with the answer hidden when `hidden`. */
function ask(question: string, hidden: boolean): Promise<string> {
  return new Promise((resolve) => {
    const rl = readline.createInterface({ input: process.stdin, output: process.stdout, terminal: true });
    if (hidden) {
      const write = (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput;
      (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s: string) => write.call(rl, s.startsWith(question) ? question : "");
    }
    rl.question(question, (answer) => {
      rl.close();
      if (hidden) process.stdout.write("\n");
      resolve(answer);
    });
  });
}

function cannotPrompt(what: string, serverUrl: string): TiledError {
  return new TiledError(
    "login-failed",
    `This process cannot ask for your ${what} (a notebook kernel has no terminal). Instead: ` +
      `give it as login({ username, password }) from a variable you do not save in the notebook, or set TILED_USERNAME and TILED_PASSWORD before starting Jupyter; ` +
      `or run \`tiled login ${serverUrl}\` in a terminal (this client uses the tokens it saves); or use an API key (TILED_API_KEY).`,
  );
}

/** The password flow: the provider's token endpoint, form-encoded; three tries when prompting. */
export async function passwordLogin(provider: AuthProvider, serverUrl: string, post: AnonymousPost, options: LoginOptions): Promise<LoginResult> {
  const endpoint = provider.links.auth_endpoint;
  if (!endpoint) throw new TiledError("invalid-response", `Provider ${provider.provider} gives no auth_endpoint to send a password to.`, { url: serverUrl });
  const url = new URL(resolveLink(endpoint, serverUrl));
  checkPasswordTransport(url, options.allowInsecure);
  const env = credentialsFromEnvironment();
  const prompting = options.password === undefined && env.password === undefined;
  if (prompting && !canPrompt()) throw cannotPrompt("password", serverUrl);
  let username = options.username ?? env.username;
  if (username === undefined) {
    if (!canPrompt()) throw cannotPrompt("user name", serverUrl);
    username = (await ask("Username: ", false)).trim();
  }
  for (let attempt = 1; ; attempt++) {
    const password = options.password ?? env.password ?? (await ask("Password: ", true));
    if (password === "") throw new TiledError("login-failed", "No password given: login cancelled.");
    try {
      const sentAtS = Date.now() / 1000;
      const response = await post(url.toString(), form({ grant_type: "password", username, password }), "application/x-www-form-urlencoded", [password]);
      return { tokens: tokenAnswer(response, "login", [password]), provider, receivedAtS: sentAtS };
    } catch (err) {
      if (!(err instanceof TiledError) || err.status !== 401) throw err;
      if (prompting && attempt < 3) {
        process.stdout.write("Username or password not recognized. Retry, or press Enter to cancel.\n");
        continue;
      }
      throw new TiledError("login-failed", `Username or password not recognized by ${provider.provider} at ${url.origin}${prompting ? " (3 tries)" : ""}.`, { url: url.toString(), status: 401 });
    }
  }
}

/** A lifetime for people: "45 s", "15 minutes". */
function duration(seconds: number): string {
  if (seconds < 120) return `${Math.max(1, Math.round(seconds))} s`;
  const minutes = Math.round(seconds / 60);
  return `${minutes} minute${minutes > 1 ? "s" : ""}`;
}

/** Show a device code: a clickable link in a notebook (text outside one). */
export function showDeviceCode(prompt: DevicePrompt): void {
  const href = escapeHtml(prompt.verificationUri);
  displayHtml(
    `<div class="tiled-login"><p>To log in to <b>${escapeHtml(prompt.provider)}</b>, open ` +
      `<a href="${href}" target="_blank" rel="noopener">${href}</a> and enter the code ` +
      `<code style="font-size:1.2em">${escapeHtml(prompt.userCode)}</code> within ${duration(prompt.expiresInS)}.</p></div>`,
    `To log in to ${prompt.provider}, open ${prompt.verificationUri} and enter the code ${prompt.userCode} within ${duration(prompt.expiresInS)}.`,
  );
}

/** The OAuth `error` of a refused poll: `{"error": …}` as an object or as its JSON text. */
function oauthError(detail: unknown): unknown {
  let value = detail;
  if (typeof value === "string") {
    try {
      value = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  return value !== null && typeof value === "object" && "error" in value ? (value as { error: unknown }).error : undefined;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(new TiledError("aborted", "The login was cancelled."));
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(new TiledError("aborted", "The login was cancelled."));
    }, { once: true });
  });

/** The device-code flow, tiled's own or with the identity provider (RFC 8628). */
export async function deviceCodeLogin(provider: AuthProvider, serverUrl: string, post: AnonymousPost, options: LoginOptions): Promise<LoginResult> {
  const endpoint = provider.links.auth_endpoint;
  if (!endpoint) throw new TiledError("invalid-response", `Provider ${provider.provider} gives no auth_endpoint for a device code.`, { url: serverUrl });
  const clientId = provider.links.client_id;
  const tokenEndpoint = provider.links.token_endpoint;
  const oidc = Boolean(clientId && tokenEndpoint);
  const authUrl = resolveLink(endpoint, serverUrl);
  const start = await post(authUrl, oidc ? form({ client_id: clientId ?? "", scope: oidcScopes(provider) }) : new Uint8Array(0), "application/x-www-form-urlencoded");
  const device = parseWith(DeviceAuthorization, answerJson(start, "device authorization"), authUrl);
  const verificationUri = oidc ? (device.verification_uri_complete ?? device.verification_uri ?? device.verification_url) : device.authorization_uri;
  const pollUrl = oidc ? tokenEndpoint : device.verification_uri;
  if (!verificationUri || !pollUrl) {
    throw new TiledError("invalid-response", `The device authorization from ${authUrl} gives no ${verificationUri ? "token endpoint to poll" : "page for the user to open"}.`, { url: authUrl });
  }
  (options.onDeviceCode ?? showDeviceCode)({ verificationUri, userCode: device.user_code, expiresInS: device.expires_in, provider: provider.provider });
  const deadline = Date.now() + device.expires_in * 1000;
  let intervalS = device.interval ?? 5;
  const poll = resolveLink(pollUrl, serverUrl);
  const secrets = [device.device_code];
  for (;;) {
    await sleep(intervalS * 1000, options.signal);
    if (Date.now() > deadline) throw new TiledError("login-failed", `The code ${device.user_code} expired (after ${duration(device.expires_in)}) before the login was confirmed. Log in again for a new code.`);
    let response: TransportResponse;
    const sentAtS = Date.now() / 1000;
    try {
      response = oidc
        ? await post(poll, form({ device_code: device.device_code, grant_type: DEVICE_CODE_GRANT, client_id: clientId ?? "" }), "application/x-www-form-urlencoded", secrets)
        : await post(poll, new TextEncoder().encode(JSON.stringify({ device_code: device.device_code, grant_type: DEVICE_CODE_GRANT })), "application/json", secrets);
    } catch (err) {
      if (!(err instanceof TiledError) || err.status !== 400) throw err;
      // tiled puts the OAuth error under detail; an identity provider's body is the error itself.
      const code = oauthError(err.detail);
      if (code === "authorization_pending") continue;
      if (code === "slow_down") {
        intervalS += 5;
        continue;
      }
      if (code === "expired_token") throw new TiledError("login-failed", `The code ${device.user_code} expired before the login was confirmed. Log in again for a new code.`, { cause: err });
      if (code === "access_denied") throw new TiledError("login-failed", "The login was refused at the identity provider.", { cause: err });
      throw new TiledError("login-failed", `The identity provider refused the device code: ${typeof code === "string" ? code : err.message}.`, { cause: err });
    }
    return { tokens: tokenAnswer(response, "login", secrets), provider, receivedAtS: sentAtS };
  }
}
