/**
 * auth/account.ts — who you are on a tiled server, and your API keys: tiled's Python client's
 * `whoami`, `create_api_key`, `which_api_key`, `revoke_api_key`, and what `logout` sends.
 *
 * An API key made here is the way to give a non-Python tool (a cron job, a shell script) access
 * without a password: `createApiKey({ note, expiresIn: "7d", scopes: ["read:data", "read:metadata"] })`.
 * Its secret is in the answer once; the server keeps only its first eight characters.
 *
 * @example
 * const me = await client.context.whoami();          // { uuid, type: "user", identities: [{ id: "alice", provider: "toy" }], … }
 * const key = await client.context.createApiKey({ note: "beamline cron", expiresIn: "1d" });
 * await client.context.revokeApiKey(key.first_eight);
 */
import { badInput } from "../errors.js";
import type { Transport } from "../http/transport.js";
import type { RequestOptions } from "../http/types.js";
import { ApiKeyInfo, NewApiKey, Principal } from "../schemas/auth.js";
import type { AuthLinks } from "../schemas/auth.js";
import { withParams } from "../urls.js";

export interface CreateApiKeyOptions extends RequestOptions {
  /** Restrict the key to these scopes (default: the same access as you). */
  scopes?: readonly string[];
  /** Seconds, or text like "30s", "5m", "1h", "7d", "1y" (default: no expiry, or the server's longest). */
  expiresIn?: number | string;
  /** What the key is for (for people). */
  note?: string;
  /** Restrict the key to these access tags. */
  accessTags?: readonly string[];
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, y: 31_536_000 };

/** Seconds from a number, or from text as tiled's `parse_time_string` reads it ("7d"). */
export function parseDuration(value: number | string): number {
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value) || value <= 0) throw badInput(`expiresIn ${value} must be a positive whole number of seconds.`);
    return value;
  }
  const match = /^\s*(\d+)\s*([smhdy])\s*$/.exec(value);
  if (!match) throw badInput(`expiresIn ${JSON.stringify(value)} is not a duration: write seconds (600) or a number and a unit s, m, h, d or y ("7d").`);
  return Number(match[1]) * UNITS[match[2]];
}

/** The server's account routes, or bad-input saying this server has no accounts (a single-user server). */
export function accountLinks(links: AuthLinks | null | undefined, serverUrl: string): AuthLinks {
  if (!links) {
    throw badInput(`${serverUrl} is a single-user server: it has one static API key and no accounts, so there is no one to log in as and no keys to make.`);
  }
  return links;
}

/** Who the request's credentials belong to; null without credentials (tiled answers 200 `null`, Python returns None). */
export function whoami(transport: Transport, links: AuthLinks, options: RequestOptions = {}): Promise<Principal | null> {
  return transport.getJson(links.whoami, Principal.nullable(), options);
}

export function createApiKey(transport: Transport, links: AuthLinks, options: CreateApiKeyOptions = {}): Promise<NewApiKey> {
  if (options.note !== undefined && options.note.length > 255) throw badInput(`The note is ${options.note.length} characters; tiled keeps at most 255.`);
  const body = {
    scopes: options.scopes ? [...options.scopes] : null,
    access_tags: options.accessTags ? [...options.accessTags] : null,
    expires_in: options.expiresIn === undefined ? null : parseDuration(options.expiresIn),
    note: options.note ?? null,
  };
  return transport.sendJson("POST", links.apikey, body, NewApiKey, options);
}

/** The key the context uses, as the server knows it (Python's `which_api_key`). */
export function whichApiKey(transport: Transport, links: AuthLinks, options: RequestOptions = {}): Promise<ApiKeyInfo> {
  return transport.getJson(links.apikey, ApiKeyInfo, options);
}

export async function revokeApiKey(transport: Transport, links: AuthLinks, firstEight: string, options: RequestOptions = {}): Promise<void> {
  if (typeof firstEight !== "string" || firstEight.length < 8) throw badInput("Give the key's first eight characters (the first_eight of createApiKey's answer, or of whoami's api_keys).");
  await transport.send({ method: "DELETE", url: withParams(links.apikey, [["first_eight", firstEight.slice(0, 8)]]), accept: "application/json" }, options);
}
