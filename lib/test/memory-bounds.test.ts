// Issue 19, items 8-10, measured: the peak memory (the kernel's maxRSS) of a client process that
// meets each unbounded case under the caps — a table body that never ends (maxTableBytes), a gzip
// body that never ends (maxTableBytes on the decoded size), and a live flood faster than a slow
// caller for 10 s (maxBufferedBytes). The client is the built library (lib/dist, rebuilt here) in
// a process of its own per case, the servers another (fixtures/hostile_servers.mjs), so each figure
// is that case's alone. It prints the figures; MEMORY_CAPS=default measures the tables under the
// library's default cap (2 GiB) instead of 256 MiB, MEMORY_LIVE_SECONDS the flood's length.
//
//   npx vitest run lib/test/memory-bounds.test.ts
//   MEMORY_CAPS=default MEMORY_LIVE_SECONDS=25 npx vitest run lib/test/memory-bounds.test.ts
import { spawn, spawnSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import * as path from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_MAX_TABLE_BYTES } from "../config";
import { DEFAULT_MAX_BUFFERED_BYTES } from "../live/subscription";
import { PROJECT_ROOT } from "./replicas";

const MiB = 2 ** 20;
const FIXTURES = path.join(PROJECT_ROOT, "lib", "test", "fixtures");
const TABLE_CAP = process.env.MEMORY_CAPS === "default" ? DEFAULT_MAX_TABLE_BYTES : 256 * MiB;
const LIVE_SECONDS = Number(process.env.MEMORY_LIVE_SECONDS || 10);

interface Figure {
  case: string;
  cap: number | "default";
  seconds: number;
  baselineRssMiB: number;
  peakRssMiB: number;
  code: string;
  pauses?: number;
  peakBufferedBytes?: number;
  updates?: number;
}

let servers: ChildProcess;
let ports: { http: number; ws: number };
const figures: Figure[] = [];

beforeAll(async () => {
  // The cases run the package build, so it must be this source's.
  const build = spawnSync(path.join(PROJECT_ROOT, "node_modules", ".bin", "tsc"), ["-p", path.join(PROJECT_ROOT, "lib", "tsconfig.build.json")], { encoding: "utf8" });
  if (build.status !== 0) throw new Error(`the package build failed:\n${build.stdout}${build.stderr}`);
  servers = spawn(process.execPath, [path.join(FIXTURES, "hostile_servers.mjs")], { stdio: ["ignore", "pipe", "inherit"] });
  const lines = createInterface({ input: servers.stdout! });
  ports = await new Promise((resolve) => lines.once("line", (line) => resolve(JSON.parse(line) as { http: number; ws: number })));
});

afterAll(() => {
  servers?.kill();
  if (figures.length) {
    console.log(
      ["issue 19, items 8-10: peak RSS of the client process (MiB)", ...figures.map((f) => `  ${f.case.padEnd(6)} cap ${String(f.cap === "default" ? "default" : `${f.cap / MiB} MiB`).padEnd(10)} peak ${f.peakRssMiB} MiB (baseline ${f.baselineRssMiB}) in ${f.seconds} s -> ${f.code}${f.pauses !== undefined ? `, ${f.pauses} pause(s), ${Math.round((f.peakBufferedBytes ?? 0) / MiB)} MiB held at most, ${f.updates} updates taken` : ""}`)].join("\n"),
    );
  }
});

function run(which: "table" | "bomb" | "live", cap: number | "default"): Figure {
  const result = spawnSync(process.execPath, [path.join(FIXTURES, "memory_case.mjs"), which, String(ports.http), String(ports.ws), String(cap), String(LIVE_SECONDS)], { encoding: "utf8", timeout: 120_000 });
  if (result.status !== 0) throw new Error(`memory_case.mjs ${which} failed:\n${result.stdout}${result.stderr}`);
  const figure = JSON.parse(result.stdout.trim().split("\n").pop() ?? "{}") as Figure;
  figures.push(figure);
  return figure;
}

describe("issue 19, items 8-10: peak memory of a client meeting a server that never stops, under the caps", () => {
  it("19.8 a table body that never ends: too-large once maxTableBytes arrived; peak RSS about the cap", () => {
    const f = run("table", TABLE_CAP);
    expect(f.code).toBe("too-large");
    expect(f.peakRssMiB - f.baselineRssMiB).toBeLessThan(TABLE_CAP / MiB + 128);
  });

  it("19.9 a gzip body that never ends (compression asked for): too-large once the decoded size passed maxTableBytes; peak RSS about the cap", () => {
    const f = run("bomb", TABLE_CAP);
    expect(f.code).toBe("too-large");
    expect(f.peakRssMiB - f.baselineRssMiB).toBeLessThan(TABLE_CAP / MiB + 128);
  });

  it(`19.10 a live flood against a caller taking 10 updates a second for ${LIVE_SECONDS} s: paused, held under maxBufferedBytes (default), peak RSS bounded`, () => {
    const f = run("live", "default");
    expect(f.code).toBe("aborted after the time");
    expect(f.pauses).toBeGreaterThan(0);
    expect(f.peakBufferedBytes).toBeLessThan(DEFAULT_MAX_BUFFERED_BYTES + 2 * MiB);
    expect(f.peakRssMiB - f.baselineRssMiB).toBeLessThan((3 * DEFAULT_MAX_BUFFERED_BYTES) / MiB);
    // The abort stops at once: the updates still held are dropped, not handed out for minutes.
    expect(f.seconds).toBeLessThan(LIVE_SECONDS + 5);
  }, (LIVE_SECONDS + 60) * 1000);
});
