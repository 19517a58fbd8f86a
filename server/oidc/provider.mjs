#!/usr/bin/env node
// A real OpenID Connect provider (npm oidc-provider) on loopback, for tests and demos.
//
//   node server/oidc/provider.mjs --config FILE [--port N]
//
// FILE is JSON (server/oidc/README.md lists every key): issuer port, clients, users (username,
// password, sub), the resource (audience) its JWT access tokens are for, lifetimes, the device
// polling interval. It prints exactly one line on stdout once it listens:
//   {"ready": true, "issuer": "http://127.0.0.1:N", "pid": P}
// and logs one line per request to stderr (method, path, status: never a query string, a body
// or a header, which carry codes, passwords and tokens).
//
// What it offers, all oidc-provider's own code: discovery, JWKS, the device-authorization grant
// (RFC 8628), the authorization-code grant, refresh tokens (offline_access), JWT access tokens for
// one resource (RFC 8707 resource indicators: the audience tiled's ProxiedOIDCAuthenticator
// checks), revocation, RP-initiated logout. The login and consent pages are this file's: plain
// HTML forms that check the user's password, which a program can fill in over HTTP
// (server/oidc/approve.mjs does).

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import http from 'node:http';
import querystring from 'node:querystring';
import { parseArgs } from 'node:util';

import Provider, { errors } from 'oidc-provider';

const HOST = '127.0.0.1'; // loopback only: the provider holds every user's password

function fail(message) {
  process.stderr.write(`oidc-provider: ${message}\n`);
  process.exit(1);
}

const { values: args } = parseArgs({
  options: { config: { type: 'string' }, port: { type: 'string' } },
});
if (!args.config) fail('--config FILE is required (see server/oidc/README.md)');
let config;
try {
  config = JSON.parse(readFileSync(args.config, 'utf8'));
} catch (err) {
  fail(`cannot read the config ${args.config}: ${err.message}`);
}
const port = Number(args.port ?? config.port);
if (!Number.isInteger(port) || port <= 0) fail('give --port N or "port" in the config');
const issuer = `http://${HOST}:${port}`;

const users = config.users ?? [];
if (!users.length) fail('the config lists no users');
for (const u of users) {
  if (!u.username || !u.password || !u.sub) fail('every user needs username, password and sub');
}
const bySub = new Map(users.map((u) => [u.sub, u]));
const byName = new Map(users.map((u) => [u.username, u]));

// The one protected resource: access tokens requested without a `resource` parameter are JWTs
// for it (defaultResource), so RFC 8628 clients that know nothing of resource indicators (tiled's
// Python client) still get a token whose `aud` tiled can check.
const resource = {
  indicator: config.resource?.indicator ?? 'urn:replica:tiled',
  audience: config.resource?.audience ?? config.resource?.indicator ?? 'urn:replica:tiled',
  scope: config.resource?.scope ?? 'tiled',
};

const ttl = {
  AccessToken: 3600, RefreshToken: 14 * 24 * 3600, DeviceCode: 600, IdToken: 3600,
  Grant: 14 * 24 * 3600, Session: 14 * 24 * 3600, Interaction: 3600, AuthorizationCode: 60,
  ...(config.ttl ?? {}),
};

// The signing key: kept in a file (mode 600) so that a restarted provider signs with the same
// key. tiled caches the JWKS for an hour and does not refetch on an unknown `kid`.
function signingKeys() {
  const path = config.keys_file;
  if (path && existsSync(path)) return JSON.parse(readFileSync(path, 'utf8'));
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: randomBytes(8).toString('hex'), alg: 'RS256', use: 'sig' };
  const jwks = { keys: [jwk] };
  if (path) writeFileSync(path, JSON.stringify(jwks), { mode: 0o600 });
  return jwks;
}

// Clients tiled's client and server act as. `lenient_client_auth: true` marks a confidential
// client whose token requests may carry its secret twice (Basic header *and* form body); see the
// middleware below.
const lenientClients = new Set((config.clients ?? []).filter((c) => c.lenient_client_auth).map((c) => c.client_id));
const clients = (config.clients ?? []).map((c) => {
  const { lenient_client_auth: _lenient, ...metadata } = c;
  return metadata;
});

const page = (title, body, status = 200) => ({ status, html: `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>${title}</title></head>
<body><h1>${title}</h1>
${body}
</body></html>` });

const esc = (s) => String(s).replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[ch]));

const provider = new Provider(issuer, {
  clients,
  jwks: signingKeys(),
  cookies: { keys: [randomBytes(32).toString('hex')] },
  findAccount(ctx, sub) {
    const user = bySub.get(sub);
    if (!user) return undefined;
    return {
      accountId: sub,
      claims: () => ({ sub, preferred_username: user.username, name: user.name ?? user.username, email: user.email }),
    };
  },
  claims: { openid: ['sub'], profile: ['preferred_username', 'name'], email: ['email'] },
  scopes: ['openid', 'offline_access', 'profile', 'email'],
  ttl,
  // Public clients rotate their refresh token on every use (oidc-provider's default); a reused,
  // already-rotated refresh token revokes the whole grant. `rotate_refresh_token: false` keeps
  // one refresh token for the grant's life.
  ...(config.rotate_refresh_token === false ? { rotateRefreshToken: false } : {}),
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  features: {
    devInteractions: { enabled: false }, // our own login form below checks passwords
    deviceFlow: {
      enabled: true,
      userCodeInputSource(ctx, form, out, err) {
        let msg = '<p id="message">Enter the code displayed on your device</p>';
        if (err && (err.userCode || err.name === 'NoCodeError')) msg = '<p id="error">The code you entered is incorrect or has expired.</p>';
        else if (err && err.name === 'AbortedError') msg = '<p id="error">The sign-in request was aborted.</p>';
        else if (err) msg = `<p id="error">There was an error processing your request: ${esc(err.error_description ?? err.message)}</p>`;
        else if (out) msg = `<p id="error">Sign-in ended: ${esc(out.error)} ${esc(out.error_description ?? '')}</p>`;
        ctx.type = 'html';
        ctx.body = page('Device sign-in', `${msg}\n${form}\n<button type="submit" form="op.deviceInputForm">Continue</button>`).html;
      },
      userCodeConfirmSource(ctx, form, client, deviceInfo, userCode) {
        ctx.type = 'html';
        ctx.body = page('Confirm device', `<p>${esc(client.clientName ?? client.clientId)} asks to sign in with the code <code>${esc(userCode)}</code>.</p>
${form}
<button type="submit" form="op.deviceConfirmForm">Continue</button>
<button type="submit" form="op.deviceConfirmForm" name="abort" value="yes">Abort</button>`).html;
      },
      successSource(ctx) {
        ctx.type = 'html';
        ctx.body = page('Device signed in', '<p id="device-success">You may close this page and return to your device.</p>').html;
      },
    },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => resource.indicator,
      // The token endpoint (device_code, refresh_token grants) keeps issuing for the resource
      // granted at authorization, without a `resource` parameter.
      useGrantedResource: () => true,
      getResourceServerInfo(ctx, indicator) {
        if (indicator !== resource.indicator) throw new errors.InvalidTarget(`unknown resource ${indicator}`);
        return {
          scope: resource.scope,
          audience: resource.audience,
          accessTokenFormat: 'jwt',
          accessTokenTTL: ttl.AccessToken,
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
    revocation: { enabled: true },
    introspection: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
});

// RFC 8628 makes `interval` optional (default 5 s) and oidc-provider leaves it out; the
// providers facilities run (Keycloak, Entra) send it, and tiled's Python client reads
// verification["interval"] without a default. `device_interval` (seconds) adds it.
if (config.device_interval != null) {
  provider.on('device_authorization.success', (ctx, body) => { body.interval = config.device_interval; });
}

// tiled's OIDCAuthenticator sends its client secret twice in the code exchange (HTTP Basic and
// client_secret in the form). RFC 6749 section 2.3 forbids more than one client authentication
// method per request and oidc-provider refuses it ("client authentication must only be provided
// using one mechanism"). For a client marked lenient_client_auth, a body secret identical to the
// Basic one is dropped before oidc-provider reads the form: the leniency of providers that accept
// tiled's request. Anything else (a different secret, another client) goes through unchanged.
provider.use(async (ctx, next) => {
  const auth = ctx.headers.authorization ?? '';
  if (ctx.method === 'POST' && ctx.path === '/token' && auth.startsWith('Basic ') && ctx.is('application/x-www-form-urlencoded')) {
    const chunks = [];
    for await (const chunk of ctx.req) chunks.push(chunk);
    const form = querystring.parse(Buffer.concat(chunks).toString('utf8'));
    const basic = Buffer.from(auth.slice(6), 'base64').toString('utf8');
    const colon = basic.indexOf(':');
    const id = decodeURIComponent(basic.slice(0, colon));
    const secret = decodeURIComponent(basic.slice(colon + 1));
    if (lenientClients.has(id) && form.client_secret === secret) delete form.client_secret;
    ctx.request.body = form; // oidc-provider reads a pre-parsed body when the stream is consumed
  }
  await next();
});

// --- login and consent: plain forms (id="login", id="consent") --------------------------------

function loginForm(uid, message = '') {
  return `${message ? `<p id="error">${esc(message)}</p>` : ''}
<form id="login" method="post" action="/interaction/${uid}/login">
  <label>Username <input type="text" name="username" autocomplete="username"></label>
  <label>Password <input type="password" name="password" autocomplete="current-password"></label>
  <button type="submit">Sign in</button>
</form>`;
}

function consentForm(uid, clientId, scopes) {
  return `<p>${esc(clientId)} asks for: ${esc(scopes.join(' ') || '(no scopes)')}</p>
<form id="consent" method="post" action="/interaction/${uid}/confirm">
  <button type="submit" name="decision" value="approve">Allow</button>
  <button type="submit" name="decision" value="deny">Deny</button>
</form>`;
}

async function readForm(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 16 * 1024) throw new Error('form too large');
    chunks.push(chunk);
  }
  return querystring.parse(Buffer.concat(chunks).toString('utf8'));
}

function send(res, { status, html }) {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(html);
}

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) return send(res, page('Sign-in', '<p id="error">This sign-in page is stale.</p>', 400));
  const { prompt, params } = details;
  if (req.method === 'GET' && !action) {
    if (prompt.name === 'login') return send(res, page('Sign-in', loginForm(uid)));
    const scopes = [...(prompt.details.missingOIDCScope ?? []), ...Object.values(prompt.details.missingResourceScopes ?? {}).flat()];
    return send(res, page('Authorize', consentForm(uid, params.client_id, scopes)));
  }
  if (req.method !== 'POST') return send(res, page('Sign-in', '<p id="error">Method not allowed</p>', 405));
  const form = await readForm(req);
  if (action === 'login') {
    if (prompt.name !== 'login') return send(res, page('Sign-in', '<p id="error">No login is pending.</p>', 400));
    const user = byName.get(String(form.username ?? ''));
    // Compare as a password check would, without telling which of the two was wrong.
    if (!user || user.password !== String(form.password ?? '')) {
      return send(res, page('Sign-in', loginForm(uid, 'Invalid username or password.'), 401));
    }
    return provider.interactionFinished(req, res, { login: { accountId: user.sub } }, { mergeWithLastSubmission: false });
  }
  if (action === 'confirm') {
    if (prompt.name !== 'consent') return send(res, page('Authorize', '<p id="error">No consent is pending.</p>', 400));
    if (form.decision !== 'approve') {
      return provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'End-User denied the request' }, { mergeWithLastSubmission: false });
    }
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: details.session.accountId, clientId: params.client_id });
    const missing = prompt.details;
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scope] of Object.entries(missing.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scope.join(' '));
    }
    const grantId = await grant.save();
    return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }
  return send(res, page('Sign-in', '<p id="error">Not found</p>', 404));
}

const oidc = provider.callback();
const server = http.createServer(async (req, res) => {
  const path = new URL(req.url, issuer).pathname;
  res.on('finish', () => process.stderr.write(`${req.method} ${path} ${res.statusCode}\n`));
  const m = /^\/interaction\/([^/]+)(?:\/(login|confirm))?$/.exec(path);
  if (!m) return oidc(req, res);
  try {
    await interaction(req, res, m[1], m[2]);
  } catch (err) {
    // An unknown or expired interaction (SessionNotFound) or a form too large.
    if (!res.headersSent) send(res, page('Sign-in', `<p id="error">${esc(err.error_description ?? err.message)}</p>`, err.statusCode ?? 400));
  }
});
server.on('error', (err) => fail(`cannot listen on ${HOST}:${port}: ${err.message}`));
server.listen(port, HOST, () => {
  process.stdout.write(`${JSON.stringify({ ready: true, issuer, pid: process.pid })}\n`);
});
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections(); // kept-alive clients must not hold the exit up
  });
}
