// Issue 18.10, over what the repository keeps: no password, token, device code or API key in a
// committed notebook (source or output), a recorded snapshot (data-snapshots/), or a recorded
// websocket frame (lib/test/fixtures). Looked for by shape (JWTs, bearer values, tiled's 72-hex
// API key secrets, secret JSON fields not replaced by the recorder's placeholder) and by value:
// the passwords and keys the replica servers on this machine generated (var/replica/auth,
// var/test/auth), and TILED_PASSWORD / TILED_API_KEY when set. (Errors and recordings made at run
// time are checked where they are made: auth-faults.test.ts, snapshots.test.ts.)
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { SECRET_PLACEHOLDER } from "../testing/snapshots";
import { PROJECT_ROOT } from "./replicas";

/** Files under `dir` (recursively) whose names end with one of `suffixes`. */
function files(dir: string, suffixes: readonly string[]): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((f) => f.isFile() && suffixes.some((s) => f.name.endsWith(s)))
    .map((f) => path.join(f.parentPath, f.name));
}

/** What the repository keeps that a secret could leak into. */
function keptFiles(): string[] {
  return [
    ...files(path.join(PROJECT_ROOT, "notebooks"), [".ipynb", ".ts"]),
    ...files(path.join(PROJECT_ROOT, "data-snapshots"), [".json", ".bin"]),
    ...files(path.join(PROJECT_ROOT, "lib", "test", "fixtures"), [".json"]),
    ...files(path.join(PROJECT_ROOT, "docs"), [".md", ".html"]),
  ];
}

/** Secrets this machine's replica servers generated, and those in the environment: [what, value]. */
function knownSecrets(): [string, string][] {
  const out: [string, string][] = [];
  const roots = [path.join(PROJECT_ROOT, "var", "replica", "auth"), path.join(PROJECT_ROOT, "var", "test", "auth")];
  for (const root of roots) {
    for (const file of files(root, ["users.json"])) {
      try {
        const parsed = JSON.parse(fs.readFileSync(file, "utf8")) as { users?: { username?: string; password?: string }[]; client_secret?: string };
        for (const u of parsed.users ?? []) if (u.password) out.push([`password of ${u.username} (${path.relative(PROJECT_ROOT, file)})`, u.password]);
        if (parsed.client_secret) out.push([`client secret (${path.relative(PROJECT_ROOT, file)})`, parsed.client_secret]);
      } catch {
        /* a file being written by a running test: skipped */
      }
    }
    for (const file of [...files(root, ["writer-api-key"]), ...files(root, ["secret-key"])]) out.push([path.relative(PROJECT_ROOT, file), fs.readFileSync(file, "utf8").trim()]);
  }
  for (const name of ["TILED_PASSWORD", "TILED_API_KEY"]) {
    const value = process.env[name];
    if (value && value.length >= 6) out.push([name, value]);
  }
  return out.filter(([, value]) => value.length >= 6);
}

const SHAPES: [string, RegExp][] = [
  ["a JWT (an access, refresh or id token)", /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/],
  ["a bearer credential", /\b(Bearer|Apikey)\s+(?!\{\{REDACTED\}\}|…|\.\.\.|<)[A-Za-z0-9._~+/-]{8,}/],
  ["a tiled API key secret (72 hex digits)", /(?<![0-9a-f])[0-9a-f]{72}(?![0-9a-f])/],
  ["a secret JSON field with a value", new RegExp(`"(access_token|refresh_token|id_token|device_code|password|secret|api_key|client_secret)"\\s*:\\s*"(?!${SECRET_PLACEHOLDER.replace(/[{}]/g, "\\$&")})[^"]+"`)],
];

describe("issue 18: bad input and faults", () => {
  it("18.10 no password, token, device code or API key in a committed notebook, a snapshot or a recorded frame (by shape and by value)", () => {
    const kept = keptFiles();
    expect(kept.length).toBeGreaterThan(10);
    const secrets = knownSecrets();
    const found: string[] = [];
    for (const file of kept) {
      const text = fs.readFileSync(file, "latin1");
      for (const [what, shape] of SHAPES) if (shape.test(text)) found.push(`${path.relative(PROJECT_ROOT, file)}: ${what}`);
      for (const [what, value] of secrets) if (text.includes(value)) found.push(`${path.relative(PROJECT_ROOT, file)}: ${what}`);
    }
    expect(found).toEqual([]);
  });

  it("18.10 the shapes looked for do catch what they are meant to (the check can fail)", () => {
    const jwt = `eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.${"s".repeat(20)}`;
    const caughtBy = (text: string) => SHAPES.filter(([, shape]) => shape.test(text)).map(([what]) => what);
    expect(caughtBy(`"text": "token ${jwt}"`)).toContain("a JWT (an access, refresh or id token)");
    expect(caughtBy("Authorization: Bearer abcdefgh12345678")).toContain("a bearer credential");
    expect(caughtBy(`{"secret": "${"ab".repeat(36)}"}`)).toEqual(["a tiled API key secret (72 hex digits)", "a secret JSON field with a value"]);
    expect(caughtBy(`{"password": "hunter2"}`)).toEqual(["a secret JSON field with a value"]);
    expect(caughtBy(`{"access_token": "${SECRET_PLACEHOLDER}", "seen": "Bearer ${SECRET_PLACEHOLDER}"}`)).toEqual([]);
  });
});
