/**
 * io_driver.ts — the library's export and upload of one large array, for bench/io_case.py.
 *
 * One operation per process, through the public API only. The timed section starts after
 * `fromUri` and the (untimed) loading of the input file, and ends when the export's file has its
 * name (`node.export`, streamed to disk through a temporary file, split under the server's 300 MB
 * answer limit) or when the last block of the upload is acknowledged (`container.writeArray`,
 * 100 MB blocks, two in flight).
 *
 * @example
 * node var/bench/build/bench/io_driver.js --url http://127.0.0.1:8123 --case export --path io/source --out var/bench/io/ts.bin
 * node … --case upload --parent io --key ts-1 --input var/bench/io/array.bin --shape 128,1024,1024 --dtype float64
 */
import * as fs from "node:fs";
import { fromUri } from "tiled-client";
import { emit, maxRssBytes, parseArgs, requireArg, runMain, startTimer } from "./common";

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const url = requireArg(args, "url");
  const kase = requireArg(args, "case");
  const root = await fromUri(url, { apiKey: process.env.BENCH_API_KEY });
  if (kase === "export") {
    const node = await root.get(requireArg(args, "path"));
    const out = requireArg(args, "out");
    const timer = startTimer();
    const result = await node.export(out, { format: "application/octet-stream", overwrite: true, progress: false });
    emit({ ...timer.stop(), bytes: result.bytes, requests: result.requests, maxRss: maxRssBytes() });
  } else if (kase === "upload") {
    const parent = await root.get(requireArg(args, "parent"), { kind: "container" });
    const shape = requireArg(args, "shape").split(",").map(Number);
    const file = fs.readFileSync(requireArg(args, "input"));
    // The file's bytes as float64, without a copy (readFileSync's buffer may start at an offset that is not a multiple of 8).
    const data = file.byteOffset % 8 === 0 ? new Float64Array(file.buffer, file.byteOffset, file.byteLength / 8) : new Float64Array(new Uint8Array(file).buffer);
    const timer = startTimer();
    const node = await parent.writeArray(requireArg(args, "key"), data, { shape, progress: false });
    emit({ ...timer.stop(), bytes: data.byteLength, blocks: node.chunks.reduce((n, c) => n * c.length, 1), maxRss: maxRssBytes() });
  } else throw new Error(`unknown --case ${kase}: export or upload`);
}

runMain(main);
