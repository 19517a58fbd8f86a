// How many of the library's modules one read crosses: the modules whose functions run during it.
//
// V8's precise coverage (node:inspector, callCount mode) counts every function call per script; taking
// the coverage resets the counts. So: connect and open the nodes first, take the coverage (discarded),
// run one operation, take it again, and list the package's files (lib/dist/*.js, one per lib/*.ts
// module) with at least one function called. Type-only modules have no code and never count.
//
//   node bench/module_paths.mjs [--url http://127.0.0.1:8000]
//   npx tsx bench/module_paths.mjs --entry /path/to/old/lib/index.ts   # another version, from its sources
//
// Needs the SQL replica (bin/replica start) and the built package (npm run build).
import { Session } from "node:inspector/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const url = process.argv.includes("--url") ? process.argv[process.argv.indexOf("--url") + 1] : process.env.TILED_URL ?? "http://127.0.0.1:8000";
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const entryArg = process.argv.includes("--entry") ? path.resolve(process.argv[process.argv.indexOf("--entry") + 1]) : undefined;
// The folder whose files count as the library's modules: the package's build, or the given sources.
const dist = (entryArg ? path.dirname(entryArg) : path.join(root, "lib", "dist")) + path.sep;

const session = new Session();
session.connect();
await session.post("Profiler.enable");
await session.post("Profiler.startPreciseCoverage", { callCount: true, detailed: false });

const { fromUri, Key } = await import(entryArg ?? "tiled-client");

/** The package modules whose functions ran since the last call. */
async function modulesRun() {
  const { result } = await session.post("Profiler.takePreciseCoverage");
  const files = new Set();
  for (const script of result) {
    const file = script.url.startsWith("file://") ? fileURLToPath(script.url) : script.url;
    if (!file.startsWith(dist) || file.includes(`${path.sep}test${path.sep}`)) continue;
    if (script.functions.some((f) => f.ranges.some((r) => r.count > 0))) files.add(path.relative(dist, file).replace(/\.js$/, ".ts"));
  }
  return [...files].sort();
}

async function measure(name, setup, operation) {
  const settle = () => new Promise((resolve) => setTimeout(resolve, 100)); // let sockets of earlier requests close
  const state = await setup();
  await settle();
  await modulesRun(); // reset: what setup ran is not counted
  await operation(state);
  const modules = await modulesRun();
  console.log(`${name}: ${modules.length} modules\n    ${modules.join("\n    ")}`);
  return modules.length;
}

const client = await fromUri(url);
const bdp = await client.get("bdp2022", { kind: "catalog" });
const uid = "ae762f9c-4933-4aa4-a720-147f4aaab6fd"; // the demo's last push_images run (replica-facts.md)

await measure("array read (a frame of a take_image run's adsimdet_image)", async () => {
  const run = await bdp.search(Key("plan_name").eq("take_image")).values({ kind: "run" }).first();
  const stream = await run.stream("primary");
  return stream.get("adsimdet_image", { kind: "array" });
}, (array) => array.read({ slice: 0 }));

await measure("array read (the whole array)", async () => {
  const run = await bdp.search(Key("plan_name").eq("take_image")).values({ kind: "run" }).first();
  const stream = await run.stream("primary");
  return stream.get("adsimdet_image", { kind: "array" });
}, (array) => array.read());

await measure("table read (a run's primary/internal)", async () => bdp.get([uid, "primary", "internal"], { kind: "table" }), (table) => table.read());

await measure("search, counted", async () => bdp, (catalog) => catalog.search(Key("plan_name").eq("push_images")).count());

await measure("search, first run", async () => bdp, (catalog) => catalog.search(Key("plan_name").eq("push_images")).sort("start.time").values({ kind: "run" }).first());

session.disconnect();
