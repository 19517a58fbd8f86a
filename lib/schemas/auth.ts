/**
 * schemas/auth.ts — how a tiled server says who may log in, and what its login routes answer.
 *
 * From tiled 0.2.20's `server/schemas.py` (AboutAuthentication, AccessAndRefreshTokens, Principal,
 * APIKey) and RFC 8628 for the device-code answers of an identity provider.
 *
 * @example
 * const { authentication } = await context.about();
 * authentication.required;                 // true: anonymous requests are refused
 * authentication.providers[0].mode;        // "internal" (password) or "external" (device code)
 */
import { z } from "zod";

/** One way to log in: `internal` (a password, checked by tiled) or `external` (a device code). */
export const AuthProvider = z.looseObject({
  provider: z.string(),
  /** "password" is tiled's old name of "internal". */
  mode: z.enum(["internal", "external", "password"]),
  /** auth_endpoint; for proxied OIDC also client_id, token_endpoint (the identity provider's). */
  links: z.record(z.string(), z.string()),
  confirmation_message: z.string().nullable().optional(),
  extra_scopes: z.array(z.string()).nullable().optional(),
});
export type AuthProvider = z.infer<typeof AuthProvider>;

/** The account routes (present when the server has providers). */
export const AuthLinks = z.looseObject({
  whoami: z.string(),
  apikey: z.string(),
  refresh_session: z.string(),
  revoke_session: z.string(),
  logout: z.string(),
});
export type AuthLinks = z.infer<typeof AuthLinks>;

export const Authentication = z.looseObject({
  required: z.boolean(),
  providers: z.array(AuthProvider),
  links: AuthLinks.nullable().optional(),
});
export type Authentication = z.infer<typeof Authentication>;

/** A token endpoint's answer: tiled's own (refresh_token_expires_in, identity) or an identity provider's. */
export const TokenResponse = z.looseObject({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1).optional(),
  id_token: z.string().optional(),
  expires_in: z.number().optional(),
  refresh_token_expires_in: z.number().optional(),
  token_type: z.string().optional(),
});
export type TokenResponse = z.infer<typeof TokenResponse>;

/**
 * A device authorization: tiled's own `/authorize` answer (authorization_uri to open, and its own
 * token endpoint in verification_uri) or an identity provider's (RFC 8628; Entra spells
 * verification_url; some add verification_uri_complete with the code in it).
 */
export const DeviceAuthorization = z.looseObject({
  device_code: z.string().min(1),
  user_code: z.string().min(1),
  verification_uri: z.string().optional(),
  verification_uri_complete: z.string().optional(),
  verification_url: z.string().optional(),
  authorization_uri: z.string().optional(),
  expires_in: z.number().positive(),
  interval: z.number().positive().optional(),
});
export type DeviceAuthorization = z.infer<typeof DeviceAuthorization>;

export const Identity = z.looseObject({ id: z.string(), provider: z.string(), latest_login: z.string().nullable().optional() });

/** An API key as tiled lists it (never the key itself, only its first eight characters). */
export const ApiKeyInfo = z.looseObject({
  first_eight: z.string(),
  expiration_time: z.string().nullable().optional(),
  note: z.string().nullable().optional(),
  scopes: z.array(z.string()),
  access_tags: z.array(z.string()).nullable().optional(),
  latest_activity: z.string().nullable().optional(),
});
export type ApiKeyInfo = z.infer<typeof ApiKeyInfo>;

/** A new API key: its secret is shown once, here. */
export const NewApiKey = ApiKeyInfo.extend({ secret: z.string().min(1) });
export type NewApiKey = z.infer<typeof NewApiKey>;

/** `GET /auth/whoami`: the user or service the credentials belong to. */
export const Principal = z.looseObject({
  uuid: z.string(),
  type: z.string(),
  identities: z.array(Identity).default([]),
  roles: z.array(z.looseObject({ name: z.string(), scopes: z.array(z.string()) })).default([]),
  api_keys: z.array(ApiKeyInfo).default([]),
  sessions: z.array(z.looseObject({ uuid: z.string(), expiration_time: z.string(), revoked: z.boolean() })).default([]),
  latest_activity: z.string().nullable().optional(),
});
export type Principal = z.infer<typeof Principal>;
