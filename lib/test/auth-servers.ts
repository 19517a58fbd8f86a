/**
 * The authenticated replica servers and the OpenID provider, for the login suites
 * (`auth-*.live.test.ts`): started with the project's own CLI (`bin/replica start --auth MODE`,
 * `bin/replica idp start`) on free ports (of REPLICA_TEST_PORTS, e.g. "8200-8229", on a machine
 * whose users share out port ranges) in a throwaway REPLICA_AUTH_DIR under var/test/auth/, and
 * stopped by the CLI, which ends only the PIDs it recorded. A server that cannot start fails the
 * suite's beforeAll with the CLI's message: the suites fail, never skip.
 *
 * Also: the users' passwords (read from the mode-600 file the CLI names, held in an object whose
 * inspection shows only user names), a fresh token-cache folder per test, tiled's Python login
 * harness (server/auth_harness) and the approval driver (server/oidc/approve.mjs).
 */
import { execFile, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import * as util from "node:util";
import { PROJECT_ROOT } from "./replicas";

const BIN_REPLICA = path.join(PROJECT_ROOT, "bin", "replica");
const PYTHON = path.join(PROJECT_ROOT, ".venv", "bin", "python");
const HARNESS = path.join(PROJECT_ROOT, "server", "auth_harness");

export type AuthMode = "password" | "oidc" | "proxied-oidc";

/** Ports handed out by this process and not yet bound: the next call skips them. */
const handedOut = new Set<number>();

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** A free port on 127.0.0.1: one of $REPLICA_TEST_PORTS ("8200-8229") when set, else any. */
export async function freePort(): Promise<number> {
  const wanted = (process.env.REPLICA_TEST_PORTS ?? "").trim();
  if (wanted) {
    const bounds = wanted.split("-").map((s) => Number(s.trim()));
    const low = bounds[0];
    const high = bounds.length > 1 ? bounds[1] : low;
    if (!Number.isSafeInteger(low) || !Number.isSafeInteger(high) || high < low) throw new Error(`REPLICA_TEST_PORTS=${wanted}: expected "LOW-HIGH".`);
    // Start at a random place, so two suites that probe at once rarely pick the same port.
    const span = high - low + 1;
    const offset = Math.floor(Math.random() * span);
    for (let i = 0; i < span; i++) {
      const port = low + ((offset + i) % span);
      if (handedOut.has(port)) continue;
      if (await portIsFree(port)) {
        handedOut.add(port);
        return port;
      }
    }
    throw new Error(`No free port in REPLICA_TEST_PORTS=${wanted}.`);
  }
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

/** username → password; printing it (a failing assertion, a log) shows the user names only. */
export class Passwords extends Map<string, string> {
  [util.inspect.custom](): string {
    return `<passwords of ${[...this.keys()].join(", ")}>`;
  }
  toJSON(): string {
    return `<passwords of ${[...this.keys()].join(", ")}>`;
  }
  /** The password of `user`, or an error naming the users there are. */
  of(user: string): string {
    const password = this.get(user);
    if (password === undefined) throw new Error(`no user ${user} (there are ${[...this.keys()].join(", ")})`);
    return password;
  }
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run a program; resolves with its exit code and output (never rejects on a non-zero exit). */
export function run(file: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    execFile(file, [...args], { env: options.env ?? process.env, cwd: options.cwd ?? PROJECT_ROOT, timeout: options.timeoutMs ?? 240_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== "number") return reject(err);
      resolve({ code: typeof err?.code === "number" ? err.code : 0, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** The variables a test's servers must not inherit from whoever runs the tests. */
const DROPPED = ["REPLICA_ACCESS_TOKEN_SECONDS", "REPLICA_REFRESH_TOKEN_SECONDS", "REPLICA_SESSION_SECONDS", "TILED_API_KEY", "REPLICA_OIDC_CLIENT_SECRET", "TILED_USERNAME", "TILED_PASSWORD"];

/** One REPLICA_AUTH_DIR: an identity provider and/or authenticated servers that share it. */
export class AuthGroup {
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly #modes: AuthMode[] = [];
  #idp = false;
  #caches = 0;

  constructor(name: string) {
    const root = path.join(PROJECT_ROOT, "var", "test", "auth");
    fs.mkdirSync(root, { recursive: true });
    this.dir = fs.mkdtempSync(path.join(root, `${name}-`));
    this.env = { ...process.env, REPLICA_AUTH_DIR: this.dir };
    for (const name of DROPPED) delete this.env[name];
  }

  /** `bin/replica ARGS` in this group; throws with the CLI's own message when it fails. */
  async cli(...args: string[]): Promise<string> {
    const done = await run(BIN_REPLICA, args, { env: this.env });
    if (done.code !== 0) throw new Error(`bin/replica ${args.join(" ")} failed (exit ${done.code}): ${done.stderr.trim().slice(-1500)}`);
    return done.stdout.trim();
  }

  /** Start the OpenID provider; returns its issuer URL. */
  async startIdp(...options: string[]): Promise<string> {
    const issuer = await this.cli("idp", "start", "--port", String(await freePort()), ...options);
    this.#idp = true;
    return issuer;
  }

  /** Start an authenticated server; returns its URL. */
  async start(mode: AuthMode, ...options: string[]): Promise<string> {
    this.#modes.push(mode);
    return this.cli("start", "--auth", mode, "--port", String(await freePort()), ...options);
  }

  /** The users of a mode and their passwords (for the OIDC modes, the provider's users). */
  async users(mode: AuthMode): Promise<Passwords> {
    const file = await this.cli("auth-users", "--auth", mode, "--path");
    const parsed: unknown = JSON.parse(fs.readFileSync(file, "utf8"));
    const users = (parsed as { users?: { username: string; password: string }[] }).users ?? [];
    return new Passwords(users.map((u) => [u.username, u.password]));
  }

  /** The API key `bin/replica live` writes with on a mode's server. */
  writerKey(mode: AuthMode): string {
    return fs.readFileSync(path.join(this.dir, mode, "writer-api-key"), "utf8").trim();
  }

  /** The server's log (request lines, errors): to check that no secret is in it. */
  serverLog(mode: AuthMode | "idp"): string {
    const file = path.join(this.dir, mode, "server.log");
    return fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
  }

  /** A fresh, empty token-cache folder (TILED_CACHE_DIR) inside this group's folder. */
  cacheDir(): string {
    const dir = path.join(this.dir, "caches", String(++this.#caches));
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    return dir;
  }

  /**
   * Stop every server this group started, then its provider, and remove the group's folder (its
   * passwords, keys and token caches) unless KEEP_AUTH_DIRS=1 asks to keep it for a post-mortem.
   */
  async stop(): Promise<void> {
    const stopped = [];
    for (const mode of this.#modes.splice(0)) stopped.push(await run(BIN_REPLICA, ["stop", "--auth", mode], { env: this.env }));
    if (this.#idp) stopped.push(await run(BIN_REPLICA, ["idp", "stop"], { env: this.env }));
    this.#idp = false;
    if (stopped.every((s) => s.code === 0) && process.env.KEEP_AUTH_DIRS !== "1") fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface HarnessResult {
  code: number;
  /** The JSON lines it printed (never a token: the harness prints none). */
  lines: Record<string, unknown>[];
  last: Record<string, unknown>;
  stderr: string;
}

/**
 * A server/auth_harness script with the venv's Python and tiled: `tiled_login.py`, `whoami.py`,
 * `tiled_cmd.py`. The password goes by environment (HARNESS_PASSWORD), never on a command line.
 */
export async function harness(script: string, args: readonly string[], options: { cache: string; password?: string; timeoutMs?: number }): Promise<HarnessResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, TILED_CACHE_DIR: options.cache };
  delete env.TILED_API_KEY;
  if (options.password !== undefined) env.HARNESS_PASSWORD = options.password;
  const done = await run(PYTHON, [path.join(HARNESS, script), ...args], { env, timeoutMs: options.timeoutMs ?? 180_000 });
  const lines = done.stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  if (lines.length === 0) throw new Error(`${script} printed no JSON (exit ${done.code}): ${done.stderr.trim().slice(-1500)}`);
  return { code: done.code, lines, last: lines[lines.length - 1], stderr: done.stderr };
}

/** Start a long-running program (tiled_login.py waiting for an approval); collect its stdout lines. */
export function spawnLines(file: string, args: readonly string[], env: NodeJS.ProcessEnv): { lines: string[]; exit: Promise<number>; stderr: () => string } {
  const child = spawn(file, [...args], { env, cwd: PROJECT_ROOT, stdio: ["ignore", "pipe", "pipe"] });
  const lines: string[] = [];
  let buffer = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    buffer += chunk.toString();
    const parts = buffer.split("\n");
    buffer = parts.pop() ?? "";
    lines.push(...parts);
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exit = new Promise<number>((resolve) => child.on("exit", (code) => resolve(code ?? -1)));
  return { lines, exit, stderr: () => stderr };
}

/** The token files in a cache folder for a server, with their modes (never their contents). */
export function tokenFiles(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!fs.existsSync(dir)) return out;
  for (const name of ["access_token", "refresh_token", "id_token"]) {
    const file = path.join(dir, name);
    if (fs.existsSync(file)) out[name] = (fs.statSync(file).mode & 0o777).toString(8);
  }
  return out;
}

/**
 * The built library (lib/dist, what `import "tiled-client"` loads) as new as lib/'s sources: a child
 * process or a notebook runs that, not the TypeScript vitest compiles. Rebuilt when older.
 */
export async function ensureBuiltLib(): Promise<void> {
  const lib = path.join(PROJECT_ROOT, "lib");
  const built = path.join(lib, "dist", "index.js");
  const newest = (dir: string): number => {
    let latest = 0;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === "dist" || entry.name === "test" || entry.name === "node_modules") continue;
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) latest = Math.max(latest, newest(file));
      else if (entry.name.endsWith(".ts")) latest = Math.max(latest, fs.statSync(file).mtimeMs);
    }
    return latest;
  };
  if (fs.existsSync(built) && fs.statSync(built).mtimeMs >= newest(lib)) return;
  const done = await run("npm", ["run", "--silent", "build", "--workspace", "tiled-client"], { timeoutMs: 300_000 });
  if (done.code !== 0) throw new Error(`Building lib/ (npm run build --workspace tiled-client) failed: ${done.stdout}${done.stderr}`.slice(-3000));
}

/** Run lib/test/fixtures/auth-child.mjs (the built library) with a token cache; resolves with its JSON line. */
export async function runChild(url: string, cache: string, seconds: number, startAtMs?: number): Promise<{ reads: number; failures: number; users: string[]; refreshes: number; error?: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, TILED_CACHE_DIR: cache };
  delete env.TILED_API_KEY;
  const done = await run(process.execPath, [path.join(PROJECT_ROOT, "lib", "test", "fixtures", "auth-child.mjs"), url, String(seconds), ...(startAtMs ? [String(startAtMs)] : [])], { env, timeoutMs: (seconds + 60) * 1000 });
  const line = done.stdout.split("\n").find((l) => l.startsWith("{"));
  if (!line) throw new Error(`auth-child.mjs printed nothing (exit ${done.code}): ${done.stderr.slice(-1500)}`);
  return JSON.parse(line) as { reads: number; failures: number; users: string[]; refreshes: number; error?: string };
}

/** What drive_prompt.py reports of a login typed at a terminal. */
export interface PromptedLogin {
  result: { user?: string; code?: string; message?: string } | null;
  prompts: number;
  retries: number;
  echoed: boolean;
  exit_status: number | null;
}

/**
 * Log in with the built library's own prompts on a pty (lib/test/fixtures/drive_prompt.py, pexpect
 * from the venv), typing `wrong` bad passwords first (or only bad ones with giveUp, or Enter with empty).
 */
export async function promptedLogin(url: string, cache: string, user: string, password: string, options: { wrong?: number; giveUp?: boolean; empty?: boolean } = {}): Promise<PromptedLogin> {
  const env: NodeJS.ProcessEnv = { ...process.env, TILED_CACHE_DIR: cache, DRIVE_PASSWORD: password };
  const args = [path.join(PROJECT_ROOT, "lib", "test", "fixtures", "drive_prompt.py"), url, "--user", user, "--wrong", String(options.wrong ?? 0), ...(options.giveUp ? ["--give-up"] : []), ...(options.empty ? ["--empty"] : [])];
  const done = await run(PYTHON, args, { env, timeoutMs: 120_000 });
  const line = done.stdout.split("\n").find((l) => l.startsWith("{"));
  if (!line) throw new Error(`drive_prompt.py printed nothing (exit ${done.code}): ${done.stderr.slice(-1500)}`);
  return JSON.parse(line) as PromptedLogin;
}
