/**
 * Start a throwaway tiled server (the project's venv, `tiled serve catalog --temp`) for tests that
 * need data the replica does not have, such as big-endian arrays. It is a real tiled server.
 */
import { spawn, spawnSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { closedPort } from "./local-server";
import { PROJECT_ROOT } from "./replicas";

export interface ThrowawayServer {
  url: string;
  apiKey: string;
  stop(): Promise<void>;
}

export async function startThrowawayServer(): Promise<ThrowawayServer> {
  const root = PROJECT_ROOT;
  const tiled = path.join(root, ".venv", "bin", "tiled");
  if (!fs.existsSync(tiled)) throw new Error(`${tiled} is missing: run \`bash scripts/setup.sh\` first.`);
  const port = await closedPort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tiled-throwaway-"));
  const apiKey = "throwawaytestkey0123456789"; // tiled insists on alphanumeric keys
  const child: ChildProcess = spawn(
    tiled,
    ["serve", "catalog", "--temp", "--public", "--host", "127.0.0.1", "--port", String(port), "--api-key", apiKey, "-w", dir, "-w", `duckdb:///${dir}/tables.duckdb`],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const response = await fetch(`${url}/api/v1/`);
      if (response.ok) break;
    } catch {
      /* not up yet */
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill();
      throw new Error(`The throwaway tiled server did not start (exit ${child.exitCode}):\n${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    url,
    apiKey,
    stop: async () => {
      child.kill("SIGTERM");
      await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once("exit", resolve)));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Run a Python fixture script with the project's venv; throw with its output if it fails. */
export function runPython(script: string, args: string[]): void {
  runPythonOutput(script, args);
}

/** Run a Python fixture script with the project's venv and return what it printed; throw with its output if it fails. */
export function runPythonOutput(script: string, args: string[] = []): string {
  const python = path.join(PROJECT_ROOT, ".venv", "bin", "python");
  const result = spawnSync(python, [script, ...args], { encoding: "utf8", maxBuffer: 64 << 20 });
  if (result.status !== 0) throw new Error(`${path.basename(script)} failed:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}
