#!/usr/bin/env node
// Play the user in the browser for a device-code login: open the verification page, enter the
// user code, sign in with a password, consent (or deny). Plain HTTP with a cookie jar, no
// browser: it follows redirects and fills the forms it meets, the way a person would.
//
//   node server/oidc/approve.mjs URL [--user-code CODE] --user U [--deny] [--deny-at confirm|consent]
//        (password from $APPROVE_PASSWORD, or --password-env VAR; never from the command line)
//
// URL is one of
//   - the identity provider's verification_uri_complete (RFC 8628; carries the code),
//   - its verification_uri (then give --user-code),
//   - tiled's authorization_uri from POST /api/v1/auth/provider/<p>/authorize (tiled's own
//     device flow: sign in at the provider, which sends the browser back to tiled's form, where
//     --user-code is entered).
// Exit 0 with one JSON line on stdout ({"outcome": "approved" | "denied", "pages": [...]}),
// exit 1 with a one-line reason on stderr when the pages did not go as a person would expect
// (wrong password, unknown or expired code, ...).
//
// Also importable: `import { approveDevice } from './approve.mjs'` (vitest), same options.

import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const MAX_STEPS = 25;

class CookieJar {
  // Cookies by host name (like a browser, not by port) and path.
  #cookies = new Map(); // `${host}\t${path}\t${name}` -> value

  store(url, response) {
    const { hostname } = new URL(url);
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      let path = '/';
      let expired = value === '';
      for (const attr of attrs) {
        const [k, v = ''] = attr.split('=');
        if (k.toLowerCase() === 'path') path = v || '/';
        if (k.toLowerCase() === 'max-age' && Number(v) <= 0) expired = true;
        if (k.toLowerCase() === 'expires' && Date.parse(v) < Date.now()) expired = true;
      }
      const key = `${hostname}\t${path}\t${name}`;
      if (expired) this.#cookies.delete(key);
      else this.#cookies.set(key, value);
    }
  }

  header(url) {
    const { hostname, pathname } = new URL(url);
    const out = [];
    for (const [key, value] of this.#cookies) {
      const [host, path, name] = key.split('\t');
      const inPath = pathname === path || pathname.startsWith(path.endsWith('/') ? path : `${path}/`);
      if (host === hostname && inPath) out.push(`${name}=${value}`);
    }
    return out.join('; ');
  }
}

const decode = (s) => s.replace(/&(amp|lt|gt|quot|#39|#x27|#x2F|#47);/g, (_, e) => (
  { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", '#x27': "'", '#x2F': '/', '#47': '/' }[e]));

function attrsOf(tag) {
  const attrs = {};
  for (const m of tag.matchAll(/([a-zA-Z_:.-]+)\s*=\s*("([^"]*)"|'([^']*)')/g)) {
    attrs[m[1].toLowerCase()] = decode(m[3] ?? m[4]);
  }
  return attrs;
}

// The first <form> of a page: id, action (absolute), its named inputs with their values.
function parseForm(html, pageUrl) {
  const m = /<form\b([^>]*)>([\s\S]*?)<\/form>/i.exec(html);
  if (!m) return null;
  const attrs = attrsOf(m[1]);
  const fields = {};
  for (const input of m[2].matchAll(/<input\b([^>]*)>/gi)) {
    const a = attrsOf(input[1]);
    if (a.name) fields[a.name] = a.value ?? '';
  }
  return {
    id: attrs.id ?? '',
    action: new URL(attrs.action ?? pageUrl, pageUrl).href,
    method: (attrs.method ?? 'get').toLowerCase(),
    fields,
  };
}

const textOf = (html) => html.replace(/<script[\s\S]*?<\/script>|<style[\s\S]*?<\/style>/gi, ' ')
  .replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim();

export class ApprovalError extends Error {}

/**
 * Drive one device-code approval. Resolves {outcome, pages}; rejects with ApprovalError.
 * @param {{url: string, userCode?: string, username: string, password: string,
 *          deny?: boolean, denyAt?: 'confirm'|'consent', timeoutMs?: number}} options
 */
export async function approveDevice({ url, userCode, username, password, deny = false, denyAt = 'consent', timeoutMs = 30000 }) {
  if (!url) throw new ApprovalError('no verification URL given');
  if (!deny && (!username || !password)) throw new ApprovalError('a username and a password are needed to approve');
  const jar = new CookieJar();
  const pages = []; // what was seen, for the report: titles and outcomes, no codes or secrets
  const deadline = Date.now() + timeoutMs;
  let denied = false;

  async function request(method, target, form) {
    const headers = { cookie: jar.header(target), 'user-agent': 'replica-approve/1' };
    let body;
    if (form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(form).toString();
    }
    const signal = AbortSignal.timeout(Math.max(1, deadline - Date.now()));
    let response;
    try {
      response = await fetch(target, { method, headers, body, redirect: 'manual', signal });
    } catch (err) {
      const where = new URL(target);
      const why = err.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (err.cause?.code ?? err.cause?.errors?.[0]?.code ?? err.message);
      throw new ApprovalError(`cannot reach ${where.origin}${where.pathname}: ${why}`);
    }
    jar.store(target, response);
    return response;
  }

  let response = await request('GET', url);
  let current = url;
  for (let step = 0; step < MAX_STEPS; step += 1) {
    if (response.status >= 300 && response.status < 400) {
      current = new URL(response.headers.get('location'), current).href;
      response = await request('GET', current);
      continue;
    }
    const html = await response.text();
    const title = (/<title>([^<]*)<\/title>/i.exec(html)?.[1] ?? '').trim();
    const form = parseForm(html, current);
    const where = new URL(current);
    pages.push({ host: where.host, path: where.pathname, status: response.status, title });
    const text = textOf(html);

    // Finished: the provider's success page (RFC 8628) or tiled's own success page.
    if (html.includes('id="device-success"') || (title === 'Success' || /<h1[^>]*>\s*Success\s*<\/h1>/.test(html))) {
      if (denied) throw new ApprovalError(`the login succeeded although it was denied (${title})`);
      return { outcome: 'approved', pages };
    }
    if (denied) return { outcome: 'denied', pages };
    if (!form) throw new ApprovalError(`unexpected page ${where.pathname} (HTTP ${response.status}): ${text.slice(0, 300)}`);

    const fields = { ...form.fields };
    if (form.id === 'op.deviceInputForm') {
      // The provider's code entry page. Shown again after an error: say why.
      if (html.includes('id="error"')) throw new ApprovalError(text.replace(/^Device sign-in /, '').slice(0, 300));
      if (!userCode) throw new ApprovalError('the page asks for the user code: give --user-code');
      fields.user_code = userCode;
    } else if (form.id === 'op.deviceConfirmForm') {
      if (deny && denyAt === 'confirm') {
        delete fields.confirm;
        fields.abort = 'yes';
        denied = true;
      }
    } else if (form.id === 'login') {
      if (html.includes('id="error"')) throw new ApprovalError('the identity provider refused the username or password');
      if (!username || !password) throw new ApprovalError('the provider asks for a login: give --user and a password');
      fields.username = username;
      fields.password = password;
    } else if (form.id === 'consent') {
      fields.decision = deny ? 'deny' : 'approve';
      denied = deny;
    } else if ('user_code' in fields && 'code' in fields) {
      // tiled's own form (OIDCAuthenticator), after the provider sent the browser back to tiled.
      if (/Invalid user code|Error/.test(text) && response.status === 401) throw new ApprovalError(text.slice(0, 300));
      if (!userCode) throw new ApprovalError("tiled's page asks for the user code: give --user-code");
      fields.user_code = userCode;
    } else if (form.method === 'post' && title === 'Submitting Callback') {
      // oidc-provider's self-submitting form (verification_uri_complete): submit as is.
    } else {
      throw new ApprovalError(`unexpected form on ${where.pathname}: ${text.slice(0, 300)}`);
    }
    current = form.action;
    response = await request(form.method === 'post' ? 'POST' : 'GET', form.action, fields);
  }
  throw new ApprovalError(`gave up after ${MAX_STEPS} pages`);
}

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      'user-code': { type: 'string' },
      user: { type: 'string' },
      'password-env': { type: 'string', default: 'APPROVE_PASSWORD' },
      deny: { type: 'boolean', default: false },
      'deny-at': { type: 'string', default: 'consent' },
      timeout: { type: 'string', default: '30' },
    },
  });
  if (positionals.length !== 1) throw new ApprovalError('usage: approve.mjs URL [--user-code CODE] --user U [--deny] [--deny-at confirm|consent]');
  if (!['confirm', 'consent'].includes(values['deny-at'])) throw new ApprovalError('--deny-at is confirm or consent');
  const password = process.env[values['password-env']];
  const result = await approveDevice({
    url: positionals[0],
    userCode: values['user-code'],
    username: values.user,
    password,
    deny: values.deny,
    denyAt: values['deny-at'],
    timeoutMs: Number(values.timeout) * 1000,
  });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err) => {
    process.stderr.write(`approve: ${err instanceof ApprovalError ? err.message : err.stack ?? err}\n`);
    process.exit(1);
  });
}
