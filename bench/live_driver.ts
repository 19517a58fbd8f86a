/**
 * live_driver.ts — the lib following a live run, for the benchmark's case (e): when did each row
 * reach this process, and how fast does a finished table replay.
 *
 * It subscribes to the catalog, writes `--ready` once connected (bench.py then starts the writer),
 * follows the first new run's primary table with lib/live's followRun, and logs each row's
 * `seq_num` with the receive time (epoch seconds, performance.timeOrigin + now(): the writer's
 * clock is time.time() on the same host). Then it replays the finished table (start=1) and times it.
 *
 * @example
 * node var/bench/build/bench/live_driver.js --url http://127.0.0.1:8123 --ready var/bench/run/ts.ready --out var/bench/run/ts-recv.jsonl
 */
import { writeFileSync, appendFileSync } from "node:fs";
import { Context } from "tiled-client";
import { followRun, nextRun, subscribeCatalog, subscribeTable } from "tiled-client/live";
import { emit, parseArgs, requireArg, runMain, startTimer } from "./common";

const now = () => (performance.timeOrigin + performance.now()) / 1000;

runMain(async () => {
  const args = parseArgs(process.argv.slice(2));
  const context = new Context({ baseUrl: requireArg(args, "url") });
  const out = requireArg(args, "out");
  const catalog = subscribeCatalog(args.catalog ?? "live", { context });
  await catalog.connected;
  writeFileSync(requireArg(args, "ready"), "ready\n");
  const run = await nextRun(catalog);
  const lines: string[] = [];
  let rows = 0;
  const timer = startTimer();
  for await (const ev of followRun(`${args.catalog ?? "live"}/${run.key}`, { context })) {
    if (ev.kind !== "rows") continue;
    const t = now();
    const seq = ev.table.getChild("seq_num")!.toArray() as BigInt64Array;
    for (const s of seq) lines.push(`{"seq_num":${Number(s)},"t":${t}}`);
    rows += seq.length;
  }
  const live = timer.stop();
  writeFileSync(out, lines.join("\n") + "\n");
  // Replay: the whole finished table from start=1, as fast as the server sends it.
  const replayTimer = startTimer();
  let replayRows = 0;
  let gaps = 0;
  for await (const ev of subscribeTable(`${args.catalog ?? "live"}/${run.key}/primary/internal`, { context, start: 1 })) {
    if (ev.kind === "rows") replayRows += ev.table.numRows;
    else if (ev.kind === "gap") gaps += ev.to - ev.from + 1;
  }
  const replay = replayTimer.stop();
  appendFileSync(out, "");
  emit({ ...live, bytes: 0, rows, run: run.key, replayRows, replayGapRows: gaps, replaySeconds: replay.seconds, replayCpuSeconds: replay.cpuSeconds });
});
