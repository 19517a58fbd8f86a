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
 * node … --case streams --path small --keys uid1,uid2,… --stream primary      (case e: one run after another)
 * node … --case idle        (imports the library and connects, reads nothing: the RSS baseline)
 * node … --case probe-bulk-reader   (prints whether fromUri accepts the bulkReader option)
 *
 * `--bulk-reader fetch|socket` passes `{ bulkReader }` to `fromUri` (a public option of the lib; when
 * the lib does not know it, `--case probe-bulk-reader` says so and bench.py skips the row).
 *
 * Diagnostic only: `--force-identity` rewrites Accept-Encoding to identity on every request node
 * makes (by wrapping node:http's request, which node-fetch calls), to measure what the library
 * would do if it asked for uncompressed bodies itself. The library's code is not touched.
 */
import http from "node:http";
import { fromUri, isTiledError, Key } from "tiled-client";
import type { FromUriOptions } from "tiled-client";
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
  if (kase === "probe-bulk-reader") {
    emit({ seconds: 0, bytes: 0, bulkReader: await probeBulkReader(url) });
    return;
  }
  // Passed through a cast: the option is checked at run time (probe-bulk-reader), so this driver
  // still compiles against a lib that does not have it.
  const options = (args["bulk-reader"] ? { bulkReader: args["bulk-reader"] } : {}) as FromUriOptions;
  const connect0 = performance.now();
  const root = await fromUri(url, options);
  // Case (e) opens its catalog while connecting, as Python's driver does with client["small"].
  const catalog = kase === "streams" ? await root.get(requireArg(args, "path"), { kind: "container" }) : null;
  const connectSeconds = (performance.now() - connect0) / 1000;

  const timer = startTimer();
  switch (kase) {
    case "array": {
      const array = await root.get(requireArg(args, "path"), { kind: "array" });
      const lookupSeconds = timer.stop().seconds;
      const { data, shape, dtype } = await array.read();
      const { seconds, cpuSeconds } = timer.stop();
      emit({ seconds, cpuSeconds, connectSeconds, lookupSeconds, bytes: data.byteLength, shape, dtype, requests: array.fetchCount() });
      break;
    }
    case "table": {
      const node = await root.get(requireArg(args, "path"), { kind: "table" });
      const lookupSeconds = timer.stop().seconds;
      const table = await node.read();
      const { seconds, cpuSeconds } = timer.stop();
      let bytes = 0;
      for (const field of table.schema.fields) {
        const column = table.getChild(field.name);
        if (column) for (const chunk of column.data) bytes += chunk.values.byteLength;
      }
      emit({ seconds, cpuSeconds, connectSeconds, lookupSeconds, bytes, rows: table.numRows, columns: table.numCols, batches: table.batches.length });
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
    case "streams": {
      // Case (e), what a notebook does: open each run by its uid, open its stream, read it.
      // Timed from before the first request to the last stream's columns in memory.
      const keys = requireArg(args, "keys").split(",");
      const streamName = args.stream ?? "primary";
      const perRead: number[] = [];
      let rows = 0;
      let columns = 0;
      let bytes = 0;
      for (const key of keys) {
        const t0 = performance.now();
        const run = await catalog!.get(key, { kind: "run" });
        const stream = await run.stream(streamName);
        const data = await stream.read();
        perRead.push((performance.now() - t0) / 1000);
        const table = data.table;
        if (!table) throw new Error(`run ${key}: stream ${streamName} read no table`);
        rows += table.numRows;
        columns = Object.keys(data.columns).length;
        for (const vector of Object.values(data.columns)) for (const chunk of vector.data) bytes += chunk.values.byteLength;
      }
      const { seconds, cpuSeconds } = timer.stop();
      emit({ seconds, cpuSeconds, connectSeconds, bytes, reads: keys.length, rows, columns, perRead });
      break;
    }
    case "idle":
      emit({ seconds: 0, bytes: 0 });
      break;
    default:
      throw new Error(`unknown --case ${kase}`);
  }
}

/**
 * Does this lib's fromUri know the bulkReader option? It validates its options (bad-input for an
 * unknown reader), so an invalid value is refused by a lib that has the option and ignored by one
 * that does not. "yes" / "no".
 */
async function probeBulkReader(url: string): Promise<string> {
  try {
    await fromUri(url, { bulkReader: "bench-probe-no-such-reader" } as unknown as FromUriOptions);
    return "no";
  } catch (err) {
    if (isTiledError(err, "bad-input") && /bulkReader/.test(err.message)) return "yes";
    throw err;
  }
}

runMain(main);
