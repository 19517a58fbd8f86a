/**
 * auth_driver.ts — the lib logging in, for the benchmark's case (auth): login-to-first-byte with a
 * password and with a device code, and a live run followed on a server with short access tokens.
 *
 * `--case password`: fromUri(url, { login: { username } }) with the password in BENCH_PASSWORD,
 * then the first page of the root's keys. `--case device`: the same against a proxied-OIDC server;
 * the code is approved by server/oidc/approve.mjs (spawned from onDeviceCode, as a browser would be
 * opened), as alice with APPROVE_PASSWORD. The timed section runs from just before fromUri to the
 * first key in hand; the token cache is the empty TILED_CACHE_DIR bench/auth_bench.py gives, so a
 * login happens every time. Prints {seconds, cpuSeconds, first, ...} (never a secret).
 *
 * `--case live`: logs in, subscribes to /live, writes `--ready` (auth_bench.py then starts the
 * writer), follows the new run while reading over HTTP every 2 s (as a notebook's other cells
 * would), and prints {rows, numEvents, gaps, refreshes, reads, seconds}.
 *
 * @example
 * BENCH_PASSWORD=… node var/bench/build/bench/auth_driver.js --case password --url http://127.0.0.1:8210 --user alice
 */
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { fromUri } from "tiled-client";
import type { DevicePrompt } from "tiled-client";
import { followRun, nextRun, subscribeCatalog } from "tiled-client/live";
import { emit, parseArgs, requireArg, runMain, startTimer } from "./common";

/** The project's root (this file runs as var/bench/build/bench/auth_driver.js). */
const ROOT = path.resolve(__dirname, "..", "..", "..", "..");

/** Play the user at the provider (server/oidc/approve.mjs), as the browser tiled's client opens would; a failure stops the login. */
function approve(prompt: DevicePrompt, user: string, stop: AbortController): void {
  const child = spawn(process.execPath, [path.join(ROOT, "server", "oidc", "approve.mjs"), prompt.verificationUri, "--user-code", prompt.userCode, "--user", user], { stdio: ["ignore", "ignore", "inherit"] });
  child.on("exit", (code) => {
    if (code !== 0) stop.abort(new Error(`approve.mjs failed (${code})`));
  });
}

runMain(async () => {
  const args = parseArgs(process.argv.slice(2));
  const url = requireArg(args, "url");
  const user = args.user ?? "alice";
  const which = requireArg(args, "case");
  if (which === "password" || which === "device") {
    const password = process.env.BENCH_PASSWORD;
    if (which === "password" && !password) throw new Error("BENCH_PASSWORD is empty");
    const stop = new AbortController();
    const timer = startTimer();
    const client = await fromUri(url, {
      signal: stop.signal,
      // Memory only, as the Python side (configure_auth(tokens, remember_me=False)).
      rememberMe: false,
      login: which === "password" ? { username: user, password } : { onDeviceCode: (prompt) => approve(prompt, user, stop) },
    });
    const first = await client.keys().first();
    const result = timer.stop();
    emit({ ...result, bytes: 0, first });
    return;
  }
  if (which === "live") {
    const password = process.env.BENCH_PASSWORD;
    const client = await fromUri(url, { login: { username: user, password } });
    const catalog = subscribeCatalog("live", { context: client.context });
    await catalog.connected;
    writeFileSync(requireArg(args, "ready"), "ready\n");
    const run = await nextRun(catalog);
    let reads = 0;
    const reading = setInterval(() => {
      void client.get(`live/${run.key}`).then(() => reads++);
    }, 2_000);
    const timer = startTimer();
    let rows = 0;
    let gaps = 0;
    let numEvents: number | undefined;
    try {
      for await (const ev of followRun(`live/${run.key}`, { context: client.context })) {
        if (ev.kind === "rows") rows += ev.table.numRows;
        else if (ev.kind === "gap") gaps += ev.to - ev.from + 1;
        else if (ev.kind === "stop") numEvents = ev.stop.num_events?.primary;
      }
    } finally {
      clearInterval(reading);
      catalog.close();
    }
    const result = timer.stop();
    const stored = (await (await client.get(`live/${run.key}/primary/internal`, { kind: "table" })).read()).numRows;
    const credentials = client.context.credentials;
    const refreshes = "refreshes" in credentials && typeof credentials.refreshes === "number" ? credentials.refreshes : -1;
    emit({ ...result, bytes: 0, rows, stored, numEvents, gaps, refreshes, reads });
    return;
  }
  throw new Error(`unknown --case ${which}`);
});
