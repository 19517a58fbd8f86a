/**
 * auth/token-cache.ts — login tokens on disk, in the folder and files tiled's Python client uses.
 *
 * `<cache>/tokens/<quote_plus(api uri)>/access_token`, `refresh_token`, `id_token`, each mode 0600,
 * where <cache> is TILED_CACHE_DIR or the user cache dir's `tiled` (Linux: $XDG_CACHE_HOME/tiled or
 * ~/.cache/tiled; macOS: ~/Library/Caches/tiled; Windows: %LOCALAPPDATA%\tiled\Cache), as
 * platformdirs gives Python. So `tiled login <uri>` in a terminal logs this client in, and a login
 * here logs Python's `from_uri(uri)` in. Files are replaced atomically (a temporary file, then a
 * rename), so another process never reads half a token. A token file readable by other users, or
 * holding what cannot be a token, is not used, and the reason is kept for the error to name.
 *
 * @example
 * const cache = new TokenCache(tokenDirectory("http://127.0.0.1:8000/api/v1/"));
 * cache.read();                  // { tokens: { access_token, refresh_token }, problems: [] }
 * cache.write({ access_token, refresh_token });
 * cache.clear();
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** The files a login leaves, as Python names them. */
export const TOKEN_NAMES = ["access_token", "refresh_token", "id_token"] as const;
export type TokenName = (typeof TOKEN_NAMES)[number];
export type Tokens = Partial<Record<TokenName, string>>;

/** Python's `urllib.parse.quote_plus`: every byte but letters, digits and `_.-~` as %XX, space as `+`. */
export function quotePlus(text: string): string {
  let out = "";
  for (const byte of new TextEncoder().encode(text)) {
    const ch = String.fromCharCode(byte);
    if (/[A-Za-z0-9_.\-~]/.test(ch)) out += ch;
    else if (byte === 0x20) out += "+";
    else out += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** platformdirs.user_cache_dir("tiled"), as tiled's Python client finds it. */
export function userCacheDir(): string {
  const home = os.homedir();
  if (process.platform === "darwin") return path.join(home, "Library", "Caches", "tiled");
  if (process.platform === "win32") return path.join(process.env.LOCALAPPDATA ?? path.join(home, "AppData", "Local"), "tiled", "Cache");
  return path.join(process.env.XDG_CACHE_HOME || path.join(home, ".cache"), "tiled");
}

/**
 * The folder of one server's tokens: `<cacheDir>/tokens/<quote_plus(apiUri)>`. `apiUri` ends with
 * a slash, as Python's `Context.api_uri` does ("http://127.0.0.1:8000/api/v1/").
 */
export function tokenDirectory(apiUri: string, cacheDir: string = userCacheDir()): string {
  const uri = apiUri.endsWith("/") ? apiUri : `${apiUri}/`;
  return path.join(cacheDir, "tokens", quotePlus(uri));
}

/** What a token file can hold: the token's text, with no whitespace or control characters. */
const TOKEN_TEXT = /^[\x21-\x7e]+$/;

export interface CacheRead {
  tokens: Tokens;
  /**
   * When the access token file was last written (seconds since the epoch, this machine's clock):
   * the moment its token arrived, as near as the cache can tell, so its expiry can be estimated.
   */
  writtenAtS?: number;
  /** Why a file that exists was not used (too open, not a token): for the error that asks for a login. */
  problems: string[];
}

export class TokenCache {
  constructor(readonly dir: string) {}

  /** The tokens on disk now. A missing file is simply absent; a bad one is skipped, with a reason. */
  read(): CacheRead {
    const tokens: Tokens = {};
    const problems: string[] = [];
    let writtenAtS: number | undefined;
    for (const name of TOKEN_NAMES) {
      const file = path.join(this.dir, name);
      let stat: fs.Stats;
      try {
        stat = fs.statSync(file);
      } catch {
        continue;
      }
      if (process.platform !== "win32" && (stat.mode & 0o077) !== 0) {
        problems.push(`${file} is readable by other users (mode ${(stat.mode & 0o777).toString(8)}): not used. Run \`chmod 600 ${file}\`, or log in again.`);
        continue;
      }
      let text: string;
      try {
        text = fs.readFileSync(file, "utf8").trim();
      } catch (err) {
        problems.push(`${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)}).`);
        continue;
      }
      if (!TOKEN_TEXT.test(text) || text.length > 64 * 1024) {
        problems.push(`${file} does not hold a token (${text.length} characters that an HTTP header cannot carry): not used. Log in again.`);
        continue;
      }
      tokens[name] = text;
      if (name === "access_token") writtenAtS = stat.mtimeMs / 1000;
    }
    return { tokens, problems, writtenAtS };
  }

  /** Write the tokens given (0600, atomically), and remove an id_token a new login did not bring. */
  write(tokens: Tokens): void {
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    for (const name of TOKEN_NAMES) {
      const value = tokens[name];
      if (value === undefined) {
        if (name === "id_token") this.#remove(name);
        continue;
      }
      const file = path.join(this.dir, name);
      const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
      fs.writeFileSync(tmp, value, { mode: 0o600 });
      fs.chmodSync(tmp, 0o600); // the mode given to writeFileSync is masked by the umask
      fs.renameSync(tmp, file);
    }
  }

  /** Remove every token file (a logout, or a session the server no longer accepts). */
  clear(): void {
    for (const name of TOKEN_NAMES) this.#remove(name);
  }

  /**
   * Remove the files only if they still hold `expected` (another process may have logged in or
   * refreshed since these were read): a stale failure must not erase a fresh login.
   */
  clearIfUnchanged(expected: Tokens): void {
    const now = this.read().tokens;
    if (now.access_token === expected.access_token && now.refresh_token === expected.refresh_token) this.clear();
  }

  /**
   * Run `fn` holding this folder's refresh lock, so two processes do not refresh the same session
   * at once (an identity provider that rotates refresh tokens would refuse the second). The lock is
   * a file created exclusively (a directory would be deleted by Python's client, which removes
   * subfolders here); one older than `staleMs` is taken over (its holder died).
   */
  async withLock<T>(fn: () => Promise<T>, staleMs = 30_000): Promise<T> {
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const lock = path.join(this.dir, "refresh.lock");
    const started = Date.now();
    for (;;) {
      try {
        fs.closeSync(fs.openSync(lock, "wx", 0o600));
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
        let age = 0;
        try {
          age = Date.now() - fs.statSync(lock).mtimeMs;
        } catch {
          continue; // released meanwhile
        }
        if (age > staleMs || Date.now() - started > staleMs) {
          fs.rmSync(lock, { force: true });
          continue;
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    try {
      return await fn();
    } finally {
      fs.rmSync(lock, { force: true });
    }
  }

  #remove(name: TokenName): void {
    fs.rmSync(path.join(this.dir, name), { force: true });
  }
}
