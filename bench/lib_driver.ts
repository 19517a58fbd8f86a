/**
 * lib_driver.ts — the library doing one benchmark case, through its public API only, as a user
 * would write it. One case per node process, so the peak RSS it reports belongs to that case.
 *
 * The timed section starts after `fromUri` (the Python driver likewise times after `from_uri`)
 * and ends when the data is in memory: the array's TypedArray, the Arrow Table, every listed run.
 * `fromUri` is timed apart (connectSeconds). Note the lib fetches /api/v1/ lazily, at the first
 * search, where Python's from_uri fetches it while connecting.
 *
 * @example
 * node var/bench/build/bench/lib_driver.js --url http://127.0.0.1:8123 --case array --path big/stack
 * node … --case table --path big/primary/internal
 * node … --case list-items --path runs --key start.plan_name --value scan     (also list-keys)
 * node … --case idle        (imports the library and connects, reads nothing: the RSS baseline)
 *
 * Diagnostic only: `--force-identity` rewrites Accept-Encoding to identity on every request node
 * makes (by wrapping node:http's request, which node-fetch calls), to measure what the library
 * would do if it asked for uncompressed bodies itself. The library's code is not touched.
 */
import http from "node:http";
import { fromUri, Key } from "../lib";
import { emit, parseArgs, requireArg, runMain, startTimer } from "./common";

/** Make every node:http request ask for an uncompressed body (see the header comment). */
function forceIdentityEncoding(): void {
  const original = http.request;
  const patched = (...args: unknown[]): http.ClientRequest => {
    for (const arg of args) {
      if (arg !== null && typeof arg === "object" && "headers" in arg) {
        const headers = (arg as { headers?: Record<string, unknown> }).headers;
        if (headers) {
          for (const name of Object.keys(headers)) if (name.toLowerCase() === "accept-encoding") delete headers[name];
          headers["accept-encoding"] = "identity";
        }
      }
    }
    return (original as (...a: unknown[]) => http.ClientRequest).apply(http, args);
  };
  (http as { request: unknown }).request = patched;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args["force-identity"] === "true") forceIdentityEncoding();
  const url = requireArg(args, "url");
  const kase = requireArg(args, "case");
  const connect0 = performance.now();
  const root = await fromUri(url);
  const connectSeconds = (performance.now() - connect0) / 1000;

  const timer = startTimer();
  switch (kase) {
    case "array": {
      const array = await root.get(requireArg(args, "path"), { kind: "array" });
      const { data, shape, dtype } = await array.read();
      const { seconds, cpuSeconds } = timer.stop();
      emit({ seconds, cpuSeconds, connectSeconds, bytes: data.byteLength, shape, dtype, requests: array.fetchCount() });
      break;
    }
    case "table": {
      const table = await (await root.get(requireArg(args, "path"), { kind: "table" })).read();
      const { seconds, cpuSeconds } = timer.stop();
      let bytes = 0;
      for (const field of table.schema.fields) {
        const column = table.getChild(field.name);
        if (column) for (const chunk of column.data) bytes += chunk.values.byteLength;
      }
      emit({ seconds, cpuSeconds, connectSeconds, bytes, rows: table.numRows, columns: table.numCols, batches: table.batches.length });
      break;
    }
    case "list-items":
    case "list-keys": {
      const runs = await root.get(requireArg(args, "path"), { kind: "container" });
      const results = runs.search(Key(requireArg(args, "key")).eq(requireArg(args, "value")));
      const listed = kase === "list-items" ? await results.items().toArray() : await results.keys().toArray();
      const { seconds, cpuSeconds } = timer.stop();
      emit({ seconds, cpuSeconds, connectSeconds, bytes: 0, count: listed.length, pageSize: results.pageSize });
      break;
    }
    case "idle":
      emit({ seconds: 0, bytes: 0 });
      break;
    default:
      throw new Error(`unknown --case ${kase}`);
  }
}

runMain(main);
