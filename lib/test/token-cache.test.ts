// auth/token-cache.ts: the token folder tiled's Python client uses, its files (0600, written
// atomically), what is not used (too open, not a token), compare-and-clear, and the refresh lock.
// The folder name is checked against Python's own quote_plus (the venv's Python, or python3).
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { TokenCache, quotePlus, tokenDirectory, userCacheDir } from "../auth/token-cache";
import { PROJECT_ROOT } from "./replicas";

const dirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "token-cache-"));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  while (dirs.length) fs.rmSync(dirs.pop() ?? "", { recursive: true, force: true });
});

function python(): string {
  const venv = path.join(PROJECT_ROOT, ".venv", "bin", "python");
  return fs.existsSync(venv) ? venv : "python3";
}

describe("the folder: Python's names", () => {
  it("quotePlus is urllib.parse.quote_plus, byte for byte, on URLs and on awkward text", () => {
    const inputs = ["http://127.0.0.1:8000/api/v1/", "https://tiled.nsls2.bnl.gov/api/v1/", "http://[::1]:8000/tiled/api/v1/", "a b+c~d_e.f-g*h'i(j)", "é/ü?&=#%", "日本"];
    const done = spawnSync(python(), ["-c", "import sys, json, urllib.parse; print(json.dumps([urllib.parse.quote_plus(s) for s in json.loads(sys.stdin.read())]))"], { input: JSON.stringify(inputs), encoding: "utf8" });
    expect(done.status, done.stderr).toBe(0);
    expect(inputs.map(quotePlus)).toEqual(JSON.parse(done.stdout));
  });

  it("tokenDirectory is <cache>/tokens/<quote_plus(api uri)>, the api uri ending with a slash as Python's", () => {
    expect(tokenDirectory("http://127.0.0.1:8000/api/v1", "/c")).toBe(path.join("/c", "tokens", "http%3A%2F%2F127.0.0.1%3A8000%2Fapi%2Fv1%2F"));
    expect(tokenDirectory("http://127.0.0.1:8000/api/v1/", "/c")).toBe(tokenDirectory("http://127.0.0.1:8000/api/v1", "/c"));
  });

  it("the default cache is platformdirs.user_cache_dir('tiled'), as Python finds it", () => {
    const done = spawnSync(python(), ["-c", "import platformdirs; print(platformdirs.user_cache_dir('tiled'))"], { encoding: "utf8" });
    if (done.status !== 0) throw new Error(`platformdirs is missing from ${python()}: run bash scripts/setup.sh (${done.stderr})`);
    expect(userCacheDir()).toBe(done.stdout.trim());
  });
});

describe("writing and reading", () => {
  it("writes each token in its own file, mode 600, in a folder only the user can enter; no temporary file is left", () => {
    const cache = new TokenCache(path.join(tempDir(), "tokens", "x"));
    cache.write({ access_token: "a.b.c", refresh_token: "r.s.t", id_token: "i.d.t" });
    expect(fs.readdirSync(cache.dir).sort()).toEqual(["access_token", "id_token", "refresh_token"]);
    for (const name of ["access_token", "refresh_token", "id_token"]) expect(fs.statSync(path.join(cache.dir, name)).mode & 0o777).toBe(0o600);
    expect(fs.statSync(cache.dir).mode & 0o777).toBe(0o700);
    expect(fs.readFileSync(path.join(cache.dir, "access_token"), "utf8")).toBe("a.b.c"); // no newline: Python reads the file as is
    expect(cache.read()).toMatchObject({ tokens: { access_token: "a.b.c", refresh_token: "r.s.t", id_token: "i.d.t" }, problems: [] });
  });

  it("the mode is 600 whatever the umask", () => {
    const old = process.umask(0o000);
    try {
      const cache = new TokenCache(path.join(tempDir(), "t"));
      cache.write({ access_token: "a", refresh_token: "r" });
      expect(fs.statSync(path.join(cache.dir, "access_token")).mode & 0o777).toBe(0o600);
    } finally {
      process.umask(old);
    }
  });

  it("a new login without an id_token removes the old one (it belonged to the old session)", () => {
    const cache = new TokenCache(tempDir());
    cache.write({ access_token: "a1", refresh_token: "r1", id_token: "i1" });
    cache.write({ access_token: "a2", refresh_token: "r2" });
    expect(cache.read().tokens).toEqual({ access_token: "a2", refresh_token: "r2" });
  });

  it("a token file edited by hand (a trailing newline) is still read", () => {
    const cache = new TokenCache(tempDir());
    cache.write({ access_token: "a", refresh_token: "r" });
    fs.writeFileSync(path.join(cache.dir, "refresh_token"), "r\n", { mode: 0o600 });
    expect(cache.read().tokens.refresh_token).toBe("r");
  });

  it("reports when the access token was written (its arrival, for the expiry estimate)", () => {
    const cache = new TokenCache(tempDir());
    const before = Date.now() / 1000;
    cache.write({ access_token: "a", refresh_token: "r" });
    const { writtenAtS } = cache.read();
    expect(writtenAtS).toBeGreaterThanOrEqual(before - 1);
    expect(writtenAtS).toBeLessThanOrEqual(Date.now() / 1000 + 1);
  });

  it("clear removes every token file; clearIfUnchanged only when they still hold what was refused", () => {
    const cache = new TokenCache(tempDir());
    cache.write({ access_token: "a1", refresh_token: "r1" });
    cache.clearIfUnchanged({ access_token: "a0", refresh_token: "r0" }); // another login replaced them
    expect(cache.read().tokens).toEqual({ access_token: "a1", refresh_token: "r1" });
    cache.clearIfUnchanged({ access_token: "a1", refresh_token: "r1" });
    expect(cache.read().tokens).toEqual({});
    cache.write({ access_token: "a", refresh_token: "r", id_token: "i" });
    cache.clear();
    expect(fs.readdirSync(cache.dir)).toEqual([]);
  });
});

describe("the refresh lock", () => {
  it("two holders take turns (the second starts after the first ends), and the lock is gone afterwards", async () => {
    const cache = new TokenCache(tempDir());
    const events: string[] = [];
    const hold = (name: string) =>
      cache.withLock(async () => {
        events.push(`${name} in`);
        await new Promise((resolve) => setTimeout(resolve, 150));
        events.push(`${name} out`);
      });
    await Promise.all([hold("a"), hold("b")]);
    expect(events).toHaveLength(4);
    expect(events[1]).toBe(`${events[0].split(" ")[0]} out`);
    expect(fs.existsSync(path.join(cache.dir, "refresh.lock"))).toBe(false);
  });

  it("a lock left by a process that died is taken over once it is stale", async () => {
    const cache = new TokenCache(tempDir());
    const lock = path.join(cache.dir, "refresh.lock");
    fs.writeFileSync(lock, "", { mode: 0o600 });
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(lock, old, old);
    const started = Date.now();
    expect(await cache.withLock(async () => "ran")).toBe("ran");
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it("the lock is a file, not a folder: tiled's Python client deletes subfolders of the token folder", async () => {
    const cache = new TokenCache(tempDir());
    await cache.withLock(async () => {
      expect(fs.statSync(path.join(cache.dir, "refresh.lock")).isFile()).toBe(true);
    });
  });
});
